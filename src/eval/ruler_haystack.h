// ruler_qa_squad's documents (docs/lm-eval-rules.md §6): SQuAD v2 dev paragraphs as a haystack around each
// answerable question, drawn with CPython's random stream and fitted to a token budget with the
// evaluated model's tokenizer, exactly as lm-eval 0.4.9.1 (RULER's qa.py) builds them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eval/codec.h"
#include "eval/py_random.h"

namespace halo::eval {

struct SquadQuestion {
  std::string query;
  std::vector<std::string> outputs;  // answers[*].text in order, duplicates kept
  size_t context = 0;                // index of its paragraph in SquadData::docs
  std::vector<size_t> more_context;  // the other paragraphs of its article, in article order
};

struct SquadData {
  std::vector<std::string> docs;     // every paragraph text, de-duplicated, sorted by code point
  std::vector<SquadQuestion> qas;    // answerable questions in file order
};

// Parses a SQuAD v2 JSON file (dev-v2.0.json); structural errors name the file and the JSON path.
SquadData load_squad(const std::filesystem::path& file);

struct RulerSettings {
  size_t max_seq_length = 4096;
  size_t tokens_to_generate = 32;
  size_t step = 10;  // num_docs search increment
};

struct RulerSample {
  std::string input;                 // the prompt before " Answer:"
  std::vector<std::string> outputs;  // gold answers
  size_t length = 0;                 // ntok(input) + tokens_to_generate
  size_t index = 0;                  // its position among the samples of its length
  size_t max_length = 0;             // the sequence length it was built for
};

class HaystackBuilder {
 public:
  // `rng` is the process-global Python stream (random.seed(0) in lm-eval); it must outlive this.
  HaystackBuilder(const SquadData& squad, const Codec& codec, PyRandom& rng, RulerSettings settings);

  // RULER's generate_input_output(index, num_docs): (input, outputs); draws from the global stream.
  std::pair<std::string, std::vector<std::string>> build(size_t index, size_t num_docs);
  // The num_docs search on question 0 (docs/lm-eval-rules.md §6.3 step 1).
  size_t search_num_docs();
  // Samples 0..count-1 after the search (docs/lm-eval-rules.md §6.3 step 2).
  std::vector<RulerSample> samples(size_t num_docs, size_t count);

 private:
  size_t count_tokens(const std::string& text) const;

  const SquadData& squad_;
  const Codec& codec_;
  PyRandom& rng_;
  RulerSettings settings_;
};

// RULER's get_qa_dataset over several sequence lengths (lm-eval's --metadata max_seq_lengths): for
// each length in order, the num_docs search and `num_samples` samples, every draw from the one
// global stream `rng`, concatenated. Building stops once `limit` samples exist: lm-eval's --limit
// keeps the first documents of the concatenation, and a later length depends only on the stream
// after all samples of the earlier ones, so it is only needed when those are complete.
std::vector<RulerSample> build_ruler_samples(const SquadData& squad, const Codec& codec, PyRandom& rng,
                                             const std::vector<size_t>& lengths, size_t num_samples,
                                             std::optional<size_t> limit);

// Post-processing of a generated answer: strip, control characters → "\n", strip again.
std::string ruler_postprocess(const std::string& output);

// lm-eval 0.4.9.1's string_match_part: the fraction of gold answers (duplicates counted) that occur,
// lowercased, in the lowercased prediction.
double string_match_part(const std::string& prediction, const std::vector<std::string>& outputs);

}  // namespace halo::eval
