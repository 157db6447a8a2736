// ruler_qa_squad (docs/lm-eval-rules.md §6) at one or more sequence lengths (lm-eval's --metadata max_seq_lengths,
// default [4096]): prompts either built here from SQuAD v2 dev or read from a JSON Lines dump of
// lm-eval's documents; greedy generation of up to 32 tokens, partial-credit score reported under
// the document's length.
#include <algorithm>

#include <fmt/ranges.h>

#include "base/error.h"
#include "base/log.h"
#include "eval/jsonl.h"
#include "eval/py_string.h"
#include "eval/ruler_haystack.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

constexpr const char* kSquadFile = "ruler_qa_squad/dev-v2.0.json";
constexpr const char* kPromptsFile = "ruler_qa_squad/prompts.jsonl";
constexpr size_t kNumSamples = 500;  // per length
constexpr const char* kGenPrefix = "Answer:";
// common_utils.DEFAULT_SEQ_LENGTHS: process_results always reports this length, as -1 for a
// document of another length, whatever --metadata says.
constexpr size_t kDefaultLength = 4096;
// niah_single_1.yaml's metric_list, which qa_squad.yaml inherits: these lengths aggregate with
// aggregate_metrics and are higher-is-better; any other length falls back to lm-eval's mean.
constexpr size_t kListedLengths[] = {4096, 8192, 16384, 32768, 65536, 131072};

// The document as lm-eval renders it: input + target_delimiter + gen_prefix.
Doc ruler_doc(const std::string& input, std::vector<std::string> outputs, const std::string& delimiter,
              size_t max_length, nlohmann::ordered_json record) {
  Doc doc;
  doc.context = input + delimiter + kGenPrefix;
  doc.target = py::list_repr(outputs);  // doc_to_target "{{outputs}}", literal_eval'd back to the list
  doc.answers = std::move(outputs);
  doc.max_length = max_length;
  doc.record = std::move(record);
  return doc;
}

// A row of a prompts file: `input` and `outputs` at top level, or under `doc` as lm-eval's
// --log_samples writes them; `max_length` says the document's length (needed with several lengths).
Doc prompt_row_doc(const JsonRow& row, const std::string& delimiter, const std::vector<size_t>& lengths) {
  JsonRow source = row.json().contains("doc") ? row.object("doc") : row;
  auto outputs = source.string_list("outputs");
  if (outputs.empty()) source.fail("field 'outputs' is empty");
  size_t max_length = lengths.front();
  if (auto it = source.json().find("max_length"); it != source.json().end()) {
    if (!it->is_number_unsigned()) source.fail("field 'max_length' must be a positive integer");
    max_length = it->get<size_t>();
    if (std::find(lengths.begin(), lengths.end(), max_length) == lengths.end()) {
      source.fail(fmt::format("max_length {} is not among the sequence lengths asked for ({})", max_length,
                              fmt::join(lengths, ",")));
    }
  } else if (lengths.size() > 1) {
    source.fail("missing field 'max_length' (with several sequence lengths each prompt must name its own)");
  }
  return ruler_doc(source.string("input"), std::move(outputs), delimiter, max_length, source.json());
}

// TaskConfig.to_dict() of qa_squad.yaml merged over niah_single_1.yaml (metadata added per run).
// The functions (custom_dataset, process_results, each metric's aggregation) are null.
nlohmann::ordered_json ruler_config() {
  nlohmann::ordered_json metric_list = nlohmann::ordered_json::array();
  for (size_t length : kListedLengths) {
    metric_list.push_back({{"metric", std::to_string(length)}, {"aggregation", nullptr}, {"higher_is_better", true}});
  }
  return {{"task", "ruler_qa_squad"},
          {"tag", nlohmann::ordered_json::array({"longcxt"})},
          {"custom_dataset", nullptr},
          {"dataset_path", ""},
          {"dataset_name", ""},
          {"test_split", "test"},
          {"doc_to_text", "{{input}}"},
          {"doc_to_target", "{{outputs}}"},
          {"unsafe_code", false},
          {"process_results", nullptr},
          {"description", ""},
          {"target_delimiter", " "},
          {"fewshot_delimiter", "\n\n"},
          {"num_fewshot", 0},
          {"metric_list", metric_list},
          {"output_type", "generate_until"},
          {"generation_kwargs", {{"do_sample", false}, {"temperature", 0.0}, {"max_gen_toks", 32},
                                 {"until", nlohmann::ordered_json::array()}}},
          {"repeats", 1},
          {"should_decontaminate", false},
          {"gen_prefix", "{{gen_prefix}}"}};
}

}  // namespace

Task ruler_qa_squad_task() {
  Task task;
  task.name = "ruler_qa_squad";
  task.version = 1;
  task.output_type = OutputType::generate_until;
  task.generation = {{}, 32, ruler_config()["generation_kwargs"]};
  for (size_t length : kListedLengths) task.metrics.push_back({std::to_string(length), Aggregation::ruler_length});
  task.data_files = std::string(kPromptsFile) + " or " + kSquadFile;
  task.data_file_choices = {kPromptsFile, kSquadFile};
  task.uses_max_seq_lengths = true;
  std::string delimiter = task.target_delimiter;
  task.load = [delimiter](const LoadContext& ctx) {
    HALO_CHECK(!ctx.max_seq_lengths.empty(), "ruler_qa_squad: no sequence length given");
    LoadedDocs loaded;
    const size_t all = kNumSamples * ctx.max_seq_lengths.size();
    auto prompts = ctx.data_dir / kPromptsFile;
    if (std::filesystem::exists(prompts)) {
      note("ruler_qa_squad: using the pre-built prompts in {}", prompts.string());
      size_t rows = read_jsonl(prompts, std::min(all, ctx.limit.value_or(all)), [&](const JsonRow& row) {
        loaded.docs.push_back(prompt_row_doc(row, delimiter, ctx.max_seq_lengths));
      });
      loaded.total = std::min(rows, all);
      loaded.files.push_back(prompts);
      return loaded;
    }
    auto squad_file = ctx.data_dir / kSquadFile;
    SquadData squad = load_squad(squad_file);
    HALO_CHECK(ctx.codec != nullptr, "ruler_qa_squad: building haystacks needs the model's tokenizer");
    PyRandom global_rng(0);  // lm-eval's random.seed(0); nothing draws from it before this task
    for (auto& sample : build_ruler_samples(squad, *ctx.codec, global_rng, ctx.max_seq_lengths, kNumSamples,
                                            ctx.limit)) {
      // Dataset.from_list of generate_samples' dicts: this key order.
      nlohmann::ordered_json record = {{"index", sample.index},   {"input", sample.input},
                                       {"outputs", sample.outputs}, {"length", sample.length},
                                       {"max_length", sample.max_length}, {"gen_prefix", kGenPrefix}};
      loaded.docs.push_back(
          ruler_doc(sample.input, std::move(sample.outputs), delimiter, sample.max_length, std::move(record)));
    }
    loaded.total = all;
    loaded.files.push_back(squad_file);
    return loaded;
  };
  // common_utils.process_results_part: {"4096": -1.0} then the document's own length set to its score.
  task.score_generation = [](const Doc& doc, const std::string& output) {
    std::vector<MetricValue> values{{std::to_string(kDefaultLength), -1.0, false}};
    double score = string_match_part(ruler_postprocess(output), doc.answers);
    if (doc.max_length == kDefaultLength) {
      values[0].value = score;
    } else {
      values.push_back({std::to_string(doc.max_length), score, false});
    }
    return values;
  };
  std::vector<std::string> listed;
  for (size_t length : kListedLengths) listed.push_back(std::to_string(length));
  task.lm_eval = {1.0, ruler_config(), true, listed};
  return task;
}

}  // namespace halo::eval
