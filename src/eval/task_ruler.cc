// ruler_qa_squad at 4096 tokens (docs/lm-eval-rules.md §6): prompts either built here from SQuAD v2 dev or read from
// a JSON Lines dump of lm-eval's documents; greedy generation of up to 32 tokens, partial-credit score.
#include <algorithm>

#include "base/error.h"
#include "base/log.h"
#include "eval/jsonl.h"
#include "eval/ruler_haystack.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

constexpr const char* kSquadFile = "ruler_qa_squad/dev-v2.0.json";
constexpr const char* kPromptsFile = "ruler_qa_squad/prompts.jsonl";
constexpr size_t kNumSamples = 500;
constexpr const char* kGenPrefix = "Answer:";

// The document as lm-eval renders it: input + target_delimiter + gen_prefix.
Doc ruler_doc(const std::string& input, std::vector<std::string> outputs, const std::string& delimiter) {
  Doc doc;
  doc.context = input + delimiter + kGenPrefix;
  doc.answers = std::move(outputs);
  return doc;
}

// A row of a prompts file: `input` and `outputs` at top level, or under `doc` as lm-eval's
// --log_samples writes them.
Doc prompt_row_doc(const JsonRow& row, const std::string& delimiter) {
  JsonRow source = row.json().contains("doc") ? row.object("doc") : row;
  auto outputs = source.string_list("outputs");
  if (outputs.empty()) source.fail("field 'outputs' is empty");
  return ruler_doc(source.string("input"), std::move(outputs), delimiter);
}

}  // namespace

Task ruler_qa_squad_task() {
  Task task;
  task.name = "ruler_qa_squad";
  task.version = 1;
  task.output_type = OutputType::generate_until;
  task.generation = {{}, 32};
  task.metrics = {{"4096", false}};  // custom aggregation: stderr N/A
  task.data_files = std::string(kPromptsFile) + " or " + kSquadFile;
  task.data_file_choices = {kPromptsFile, kSquadFile};
  std::string delimiter = task.target_delimiter;
  task.load = [delimiter](const LoadContext& ctx) {
    LoadedDocs loaded;
    size_t count = std::min(kNumSamples, ctx.limit.value_or(kNumSamples));
    auto prompts = ctx.data_dir / kPromptsFile;
    if (std::filesystem::exists(prompts)) {
      note("ruler_qa_squad: using the pre-built prompts in {}", prompts.string());
      read_jsonl(prompts, count, [&](const JsonRow& row) { loaded.docs.push_back(prompt_row_doc(row, delimiter)); });
      loaded.files.push_back(prompts);
      return loaded;
    }
    auto squad_file = ctx.data_dir / kSquadFile;
    SquadData squad = load_squad(squad_file);
    HALO_CHECK(ctx.codec != nullptr, "ruler_qa_squad: building haystacks needs the model's tokenizer");
    PyRandom global_rng(0);  // lm-eval's random.seed(0); nothing draws from it before this task
    HaystackBuilder builder(squad, *ctx.codec, global_rng, RulerSettings{});
    size_t num_docs = builder.search_num_docs();
    for (auto& sample : builder.samples(num_docs, count)) {
      loaded.docs.push_back(ruler_doc(sample.input, std::move(sample.outputs), delimiter));
    }
    loaded.files.push_back(squad_file);
    return loaded;
  };
  task.score_generation = [](const Doc& doc, const std::string& output) {
    return std::vector<double>{string_match_part(ruler_postprocess(output), doc.answers)};
  };
  return task;
}

}  // namespace halo::eval
