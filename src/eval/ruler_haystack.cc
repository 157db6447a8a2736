#include "eval/ruler_haystack.h"

#include <algorithm>
#include <map>
#include <new>

#include <nlohmann/json.hpp>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/py_string.h"

namespace halo::eval {
namespace {

constexpr const char* kInstruction =
    "Answer the question based on the given documents. Only give me the answer and do not output any "
    "other words.";

// A retry loop that never fits would spin forever in Python; give up after this many draws.
constexpr size_t kMaxFitAttempts = 1000;

const nlohmann::json& member(const nlohmann::json& value, const char* key, const std::string& where,
                             const std::filesystem::path& file) {
  auto it = value.find(key);
  HALO_CHECK(it != value.end(), "{}: {}: missing field '{}'", file.string(), where, key);
  return *it;
}

const nlohmann::json& array_member(const nlohmann::json& value, const char* key, const std::string& where,
                                   const std::filesystem::path& file) {
  const auto& v = member(value, key, where, file);
  HALO_CHECK(v.is_array(), "{}: {}.{} must be a list, got {}", file.string(), where, key, v.type_name());
  return v;
}

std::string string_member(const nlohmann::json& value, const char* key, const std::string& where,
                          const std::filesystem::path& file) {
  const auto& v = member(value, key, where, file);
  HALO_CHECK(v.is_string(), "{}: {}.{} must be a string, got {}", file.string(), where, key, v.type_name());
  return v.get<std::string>();
}

// The RULER QA template with `context` and `query` substituted verbatim (Python str.format).
std::string ruler_qa_prompt(const std::string& context, const std::string& query) {
  return fmt::format("{0}\n\nThe following are given documents.\n\n{1}\n\n{0}\n\nQuestion: {2}", kInstruction,
                     context, query);
}

}  // namespace

SquadData load_squad(const std::filesystem::path& file) {
  HALO_CHECK(std::filesystem::exists(file),
             "{}: cannot open the SQuAD v2 dev file (see docs/data.md for how to get it)", file.string());
  std::string text = read_file(file);
  check_json_nesting(text, file.string());
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    size_t line = 1 + size_t(std::count(text.begin(), text.begin() + std::ptrdiff_t(std::min(e.byte, text.size())), '\n'));
    fail("{}:{}: invalid JSON: {}", file.string(), line, e.what());
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number like 1e400
    fail("{}: invalid JSON: {}", file.string(), e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing it ({} bytes)", file.string(), text.size());
  }
  HALO_CHECK(root.is_object(), "{}: expected a JSON object with a 'data' list", file.string());
  const auto& articles = array_member(root, "data", "top level", file);

  // First pass: every paragraph text, to number the sorted unique list.
  std::vector<std::vector<std::string>> article_paragraphs;
  for (size_t a = 0; a < articles.size(); ++a) {
    std::string where = fmt::format("data[{}]", a);
    const auto& paragraphs = array_member(articles[a], "paragraphs", where, file);
    auto& texts = article_paragraphs.emplace_back();
    for (size_t p = 0; p < paragraphs.size(); ++p) {
      texts.push_back(string_member(paragraphs[p], "context", fmt::format("{}.paragraphs[{}]", where, p), file));
    }
  }
  SquadData data;
  for (const auto& texts : article_paragraphs) data.docs.insert(data.docs.end(), texts.begin(), texts.end());
  std::sort(data.docs.begin(), data.docs.end());  // byte order of UTF-8 = Python's code-point order
  data.docs.erase(std::unique(data.docs.begin(), data.docs.end()), data.docs.end());
  std::map<std::string_view, size_t> index_of;
  for (size_t i = 0; i < data.docs.size(); ++i) index_of[data.docs[i]] = i;

  for (size_t a = 0; a < articles.size(); ++a) {
    std::vector<size_t> article_indices;
    for (const auto& t : article_paragraphs[a]) article_indices.push_back(index_of.at(t));
    const auto& paragraphs = articles[a]["paragraphs"];
    for (size_t p = 0; p < paragraphs.size(); ++p) {
      std::string where = fmt::format("data[{}].paragraphs[{}]", a, p);
      const auto& qas = array_member(paragraphs[p], "qas", where, file);
      for (size_t q = 0; q < qas.size(); ++q) {
        std::string qwhere = fmt::format("{}.qas[{}]", where, q);
        const auto& impossible = member(qas[q], "is_impossible", qwhere, file);
        HALO_CHECK(impossible.is_boolean(), "{}: {}.is_impossible must be a boolean, got {}", file.string(),
                   qwhere, impossible.type_name());
        if (impossible.get<bool>()) continue;
        SquadQuestion question;
        question.query = string_member(qas[q], "question", qwhere, file);
        const auto& answers = array_member(qas[q], "answers", qwhere, file);
        for (size_t k = 0; k < answers.size(); ++k) {
          question.outputs.push_back(string_member(answers[k], "text", fmt::format("{}.answers[{}]", qwhere, k), file));
        }
        HALO_CHECK(!question.outputs.empty(), "{}: {}: answerable question without answers", file.string(), qwhere);
        question.context = article_indices[p];
        for (size_t other : article_indices) {
          if (other != question.context) question.more_context.push_back(other);
        }
        data.qas.push_back(std::move(question));
      }
    }
  }
  return data;
}

HaystackBuilder::HaystackBuilder(const SquadData& squad, const Codec& codec, PyRandom& rng, RulerSettings settings)
    : squad_(squad), codec_(codec), rng_(rng), settings_(settings) {}

size_t HaystackBuilder::count_tokens(const std::string& text) const {
  // len(tokenizer(text).input_ids): the default add_special_tokens=True.
  return codec_.encode(text, true).size();
}

std::pair<std::string, std::vector<std::string>> HaystackBuilder::build(size_t index, size_t num_docs) {
  HALO_CHECK(index < squad_.qas.size(), "ruler_qa_squad: question {} requested but the SQuAD file has {} answerable questions",
             index, squad_.qas.size());
  HALO_CHECK(num_docs >= 1, "ruler_qa_squad: a haystack needs at least the gold document");
  const SquadQuestion& gold = squad_.qas[index];
  const std::vector<size_t>& more = gold.more_context;
  std::vector<size_t> chosen{gold.context};
  if (num_docs < squad_.docs.size()) {
    if (num_docs - 1 > more.size()) {
      std::vector<size_t> extra;
      for (size_t i = 0; i < squad_.docs.size(); ++i) {
        if (i != gold.context && std::find(more.begin(), more.end(), i) == more.end()) extra.push_back(i);
      }
      chosen.insert(chosen.end(), more.begin(), more.end());
      for (size_t pick : rng_.sample(extra.size(), num_docs - 1 - more.size())) chosen.push_back(extra[pick]);
    } else {
      for (size_t pick : rng_.sample(more.size(), num_docs - 1)) chosen.push_back(more[pick]);
    }
  } else {
    chosen.resize(squad_.docs.size());
    for (size_t i = 0; i < chosen.size(); ++i) chosen[i] = i;
  }

  // A fresh Random(42) per prompt: the permutation depends only on the number of documents.
  PyRandom order_rng(42);
  order_rng.shuffle(chosen);
  std::string context;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (i > 0) context += "\n\n";
    context += fmt::format("Document {}:\n{}", i + 1, squad_.docs[chosen[i]]);
  }
  return {ruler_qa_prompt(context, gold.query), gold.outputs};
}

size_t HaystackBuilder::search_num_docs() {
  size_t num_docs = settings_.step;
  size_t total = 0;
  while (total + settings_.tokens_to_generate < settings_.max_seq_length) {
    auto [input, answers] = build(0, num_docs);
    total = count_tokens(input + " " + py::list_repr(answers));
    if (total + settings_.tokens_to_generate > settings_.max_seq_length) {
      num_docs -= settings_.step;
      break;
    }
    num_docs += settings_.step;
    if (num_docs > squad_.docs.size()) {
      num_docs = squad_.docs.size();
      break;
    }
  }
  HALO_CHECK(num_docs >= 1, "ruler_qa_squad: {} documents already exceed {} tokens", settings_.step,
             settings_.max_seq_length);
  return num_docs;
}

std::vector<RulerSample> HaystackBuilder::samples(size_t num_docs, size_t count) {
  std::vector<RulerSample> out;
  for (size_t index = 0; index < count; ++index) {
    size_t used = num_docs;
    for (size_t attempt = 0;; ++attempt) {
      HALO_CHECK(attempt < kMaxFitAttempts, "ruler_qa_squad: sample {} does not fit {} tokens even with {} documents",
                 index, settings_.max_seq_length, used);
      auto [input, answers] = build(index, used);
      size_t length = count_tokens(input) + settings_.tokens_to_generate;
      if (length <= settings_.max_seq_length) {
        out.push_back({std::move(input), std::move(answers), length, index, settings_.max_seq_length});
        break;
      }
      if (used > settings_.step) used -= settings_.step;
    }
  }
  return out;
}

std::vector<RulerSample> build_ruler_samples(const SquadData& squad, const Codec& codec, PyRandom& rng,
                                             const std::vector<size_t>& lengths, size_t num_samples,
                                             std::optional<size_t> limit) {
  std::vector<RulerSample> out;
  size_t remaining = limit.value_or(num_samples * lengths.size());
  for (size_t length : lengths) {
    if (remaining == 0) break;
    size_t count = std::min(num_samples, remaining);
    RulerSettings settings;
    settings.max_seq_length = length;
    HaystackBuilder builder(squad, codec, rng, settings);
    size_t num_docs = builder.search_num_docs();
    for (auto& sample : builder.samples(num_docs, count)) out.push_back(std::move(sample));
    remaining -= count;
  }
  return out;
}

std::string ruler_postprocess(const std::string& output) {
  std::string text = py::strip(output);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = '\n';
  }
  return py::strip(text);
}

double string_match_part(const std::string& prediction, const std::vector<std::string>& outputs) {
  std::string pred = py::lower(prediction);
  size_t hits = 0;
  for (const auto& r : outputs) {
    if (pred.find(py::lower(r)) != std::string::npos) ++hits;
  }
  return double(hits) / double(outputs.size());
}

}  // namespace halo::eval
