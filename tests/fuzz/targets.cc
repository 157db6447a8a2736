#include "targets.h"

#include <fmt/format.h>

#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "../eval/fakes.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/generation_config.h"
#include "eval/input_hash.h"
#include "eval/lm_eval_files.h"
#include "eval/lm_eval_table.h"
#include "eval/outcome_journal.h"
#include "eval/tasks.h"
#include "eval/variant_record.h"
#include "io/model_config.h"
#include "io/model_shapes.h"
#include "io/safetensors.h"
#include "select/importance.h"
#include "select/sweep_results.h"
#include "text/tokenizer.h"

namespace halo::fuzz {
namespace fs = std::filesystem;

namespace {

const fs::path kData = HALO_TEST_DATA;
const fs::path kSource = HALO_SOURCE_DIR;

std::vector<std::string> files(std::initializer_list<fs::path> paths) {
  std::vector<std::string> out;
  for (const fs::path& p : paths) out.push_back(read_file(p));
  return out;
}

// Writes `bytes` with plain stdio (no fsync, no rename): the driver writes thousands of inputs.
void put(const fs::path& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("fuzz driver: cannot write " + path.string());
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

// A small safetensors file: the 8-byte little-endian header length, the JSON header, the data.
std::string safetensors_bytes(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  for (size_t i = 0; i < data_bytes; ++i) out += static_cast<char>(i * 37 + 11);
  return out;
}

std::vector<std::string> safetensors_seeds() {
  std::vector<std::string> seeds = {
      safetensors_bytes(R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                        R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},)"
                        R"("c":{"dtype":"F16","shape":[2,2],"data_offsets":[32,40]}})",
                        40),
      safetensors_bytes(R"({"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]}})", 4),
      safetensors_bytes(R"({"model.norm.weight":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}}       )", 16),
  };
  // A real checkpoint (the header is what the mutations reach; the data stays valid).
  seeds.push_back(read_file(kData / "golden/models/hypenet_hype_default/model.safetensors"));
  return seeds;
}

void touch_tensors(const std::map<std::string, io::TensorView>& tensors) {
  volatile float sink = 0;
  for (const auto& [name, view] : tensors) {
    for (float v : view.to_float()) sink = sink + v;
    (void)io::printable(name);
  }
}

const io::TensorStore& qwen3_store() {
  static const io::TensorStore store = io::TensorStore::open_directory(kData / "golden/models/qwen3_gqa_untied");
  return store;
}

// A task's JSONL (or SQuAD JSON) file at the path the task reads under --data.
Target task_target(const std::string& name, eval::Task (*make)(), size_t file_choice,
                   std::vector<fs::path> seed_files, std::vector<size_t> lengths = {4096}) {
  Target t;
  t.name = name;
  const eval::Task task = make();
  const std::string relative = task.data_file_choices.at(file_choice);
  t.parser = fmt::format("{} rows ({}: src/eval/jsonl.cc, task_loading.cc and the task's row rules)", task.name,
                         relative);
  t.seeds = [seed_files] {
    std::vector<std::string> out;
    for (const fs::path& p : seed_files) out.push_back(read_file(p));
    return out;
  };
  t.prepare = [relative](const fs::path& scratch) { fs::create_directories((scratch / "data" / relative).parent_path()); };
  t.run = [task, relative, lengths](const std::string& input, const fs::path& scratch) {
    put(scratch / "data" / relative, input);
    eval::testing::ByteCodec codec;
    eval::LoadedDocs docs = task.load(eval::LoadContext{scratch / "data", &codec, 3, lengths});
    for (const eval::Doc& d : docs.docs) (void)d.record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  return t;
}

// The journal's line checksums reject almost every mutated line; this variant puts back a valid
// checksum on every line so the JSON behind it is reached.
std::string with_checksums(const std::string& input) {
  std::string out;
  size_t begin = 0;
  while (begin < input.size()) {
    size_t nl = input.find('\n', begin);
    std::string line = input.substr(begin, nl == std::string::npos ? std::string::npos : nl - begin);
    begin = nl == std::string::npos ? input.size() : nl + 1;
    if (size_t tab = line.rfind('\t'); tab != std::string::npos) line.resize(tab);
    eval::InputHash hash;
    hash.add(line);
    out += line + "\t" + fmt::format("{:016x}", hash.value()) + "\n";
  }
  return out;
}

std::vector<std::string> journal_seeds() {
  eval::JournalBatch mc{"commonsense", "hellaswag", 0, 0, 2, {}};
  eval::DocOutcome a;
  a.loglikelihoods = {-1.5, -2.25, -0.125};
  a.is_greedy = {false, true, false};
  a.metrics = {{"acc", 1, false}, {"acc_norm", 0, false}};
  mc.docs = {a, a};
  eval::JournalBatch gen{"retrieval", "fda", 3, 6, 7, {}};
  eval::DocOutcome g;
  g.output = "the answer\n";
  g.generated_tokens = 5;
  g.metrics = {{"contains", 1, true}};
  gen.docs = {g};
  const std::string header = eval::journal_header_line("0123456789abcdef", "layer 3");
  return {header + eval::journal_batch_line(mc) + eval::journal_batch_line(gen),
          header + eval::journal_batch_line(gen), header};
}

std::vector<Target> make_targets() {
  std::vector<Target> targets;

  targets.push_back(Target{
      "safetensors", "safetensors header and data layout (src/io/safetensors.cc)", safetensors_seeds, {},
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "model.safetensors", input);
        io::SafetensorsFile file(scratch / "model.safetensors");
        touch_tensors(file.tensors());
      },
      800});

  targets.push_back(Target{
      "safetensors_index", "model.safetensors.index.json of a sharded checkpoint (src/io/safetensors.cc)",
      [] { return files({kData / "golden/models/qwen3_legacy_sharded/model.safetensors.index.json"}); },
      [](const fs::path& scratch) {
        for (const char* shard : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
          fs::copy_file(kData / "golden/models/qwen3_legacy_sharded" / shard, scratch / shard);
        }
      },
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "model.safetensors.index.json", input);
        io::TensorStore store = io::TensorStore::open_directory(scratch);
        for (const std::string& name : store.names()) (void)store.get(name).numel();
      },
      400});

  targets.push_back(Target{
      "model_config", "config.json / orig_config.json, checked against a checkpoint (src/io/model_config.cc)",
      [] {
        std::vector<std::string> seeds;
        for (const char* model : {"hypenet_gate_hype8", "hypenet_hype_default", "hypenet_nope_float", "qwen3_gqa_untied",
                                  "qwen3_legacy_sharded", "qwen3_mha6_tied_bf16"}) {
          seeds.push_back(read_file(kData / "golden/models" / model / "config.json"));
        }
        for (const auto& run : fs::directory_iterator(kData / "golden/runs")) {
          seeds.push_back(read_file(run.path() / "orig_config.json"));
          if (fs::exists(run.path() / "student_config.json")) seeds.push_back(read_file(run.path() / "student_config.json"));
        }
        return seeds;
      },
      {},
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "config.json", input);
        io::ModelConfig config = io::load_model_config(scratch / "config.json");
        (void)io::model_config_to_json(config).dump();
        try {
          io::check_model_tensors(qwen3_store(), config);
        } catch (const Error&) {
          // Most mutated configs do not fit these weights; the check must say so, not crash.
        }
      },
      800});

  targets.push_back(Target{
      "generation_config", "generation_config.json (src/eval/generation_config.cc)",
      [] {
        return files({kData / "golden/models/qwen3_gqa_untied/generation_config.json",
                      kData / "golden_trained/models/qwen3_bytes_trained/generation_config.json"});
      },
      {},
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "generation_config.json", input);
        (void)eval::read_generation_config(scratch / "generation_config.json");
      },
      600});

  targets.push_back(Target{
      "tokenizer_json", "tokenizer.json, then encode/decode (src/text/tokenizer_json.cc)",
      [] { return files({kData / "tokenizer/tiny/tokenizer.json"}); },
      [](const fs::path& scratch) {
        fs::create_directories(scratch / "tok");
        fs::copy_file(kData / "tokenizer/tiny/tokenizer_config.json", scratch / "tok/tokenizer_config.json");
      },
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "tok/tokenizer.json", input);
        text::Tokenizer tokenizer = text::Tokenizer::load(scratch / "tok");
        for (const char* s : {"Hello world", "  a\n\nb  \t", "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
                              "it's 12345 don't", "\xff\xfe", "<|im_end|><|endoftext|>"}) {
          std::vector<int32_t> ids = tokenizer.encode(s, true);
          (void)tokenizer.decode(ids, false);
          (void)tokenizer.decode(ids, true);
        }
      },
      500});

  targets.push_back(Target{
      "tokenizer_config", "tokenizer_config.json beside a valid tokenizer.json (src/text/tokenizer_json.cc)",
      [] { return files({kData / "tokenizer/tiny/tokenizer_config.json"}); },
      [](const fs::path& scratch) {
        fs::create_directories(scratch / "tok");
        fs::copy_file(kData / "tokenizer/tiny/tokenizer.json", scratch / "tok/tokenizer.json");
      },
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "tok/tokenizer_config.json", input);
        text::Tokenizer tokenizer = text::Tokenizer::load(scratch / "tok");
        (void)tokenizer.decode(tokenizer.encode("Hello world", true), true);
      },
      500});

  const fs::path eval_data = kData / "eval";
  const std::vector<fs::path> bad = {eval_data / "bad/arc_bad_answer.jsonl", eval_data / "bad/arc_wrong_type.jsonl",
                                     eval_data / "bad/based_bad_json.jsonl", eval_data / "bad/based_missing_field.jsonl",
                                     eval_data / "bad/hellaswag_bad_label.jsonl"};
  auto with_bad = [&](std::vector<fs::path> own) {
    own.insert(own.end(), bad.begin(), bad.end());
    return own;
  };
  targets.push_back(task_target("jsonl_hellaswag", eval::hellaswag_task, 0, with_bad({eval_data / "hellaswag/validation.jsonl"})));
  targets.push_back(task_target("jsonl_arc", eval::arc_challenge_task, 0,
                                with_bad({eval_data / "arc_challenge/test.jsonl", eval_data / "arc_easy/test.jsonl"})));
  targets.push_back(task_target("jsonl_fda", eval::fda_task, 0, with_bad({eval_data / "fda/validation.jsonl"})));
  targets.push_back(task_target("jsonl_swde", eval::swde_task, 0, with_bad({eval_data / "swde/validation.jsonl"})));
  targets.push_back(task_target("jsonl_ruler_prompts", eval::ruler_qa_squad_task, 0,
                                {eval_data / "prompts/ruler_qa_squad/prompts.jsonl"}, {1024, 4096}));
  {
    Target squad = task_target("ruler_squad", eval::ruler_qa_squad_task, 1,
                               {eval_data / "ruler_qa_squad/dev-v2.0.json"}, {200});
    squad.iterations = 400;
    targets.push_back(squad);
  }

  targets.push_back(Target{
      "lm_eval_table", "lm-eval results tables in logs (src/eval/lm_eval_table_reader.cc)",
      [] {
        std::vector<std::string> seeds;
        for (const fs::path& dir : {kData / "published/layer_sweep_hypenet-2b/original", kData / "select/sweep-8b-shaped/original"}) {
          for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path().extension() == ".log") seeds.push_back(read_file(e.path()));
          }
        }
        return seeds;
      },
      {},
      [](const std::string& input, const fs::path&) {
        for (const eval::TableRow& row : eval::parse_results_table(input, "fuzz.log")) {
          (void)eval::metric_context(row.metric);
        }
      },
      3000});

  targets.push_back(Target{
      "outcome_journal", "outcomes.jsonl, the resume journal (src/eval/outcome_journal.cc)", journal_seeds, {},
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "outcomes.jsonl", input);
        (void)eval::read_journal(scratch / "outcomes.jsonl");
      },
      600});

  targets.push_back(Target{
      "outcome_journal_lines", "outcomes.jsonl with valid line checksums (src/eval/outcome_journal.cc)", journal_seeds, {},
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "outcomes.jsonl", with_checksums(input));
        (void)eval::read_journal(scratch / "outcomes.jsonl");
      },
      800});

  targets.push_back(Target{
      "variant_record", "a sweep variant's results.json (src/eval/variant_record.cc)",
      [] {
        eval::VariantRecord record;
        record.variant = "layer 2";
        record.converted_layers = {2};
        record.fingerprint = "0123456789abcdef";
        record.files = {{"commonsense_eval.log", "00000000000000aa"}, {"outcomes.jsonl", "00000000000000bb"}};
        record.suites = nlohmann::json::parse(R"({"commonsense": {"results": {"arc_easy": {"acc,none": 0.5}}}})");
        record.seconds = 12.5;
        return std::vector<std::string>{eval::variant_record_text(record)};
      },
      [](const fs::path& scratch) { put(scratch / "commonsense_eval.log", "x"); },
      [](const std::string& input, const fs::path& scratch) {
        (void)eval::parse_variant_record(input);
        put(scratch / "results.json", input);
        if (auto record = eval::read_variant_record_or_fail(scratch)) (void)eval::check_variant_files(scratch, *record);
      },
      600});

  targets.push_back(Target{
      "sweep_results_file", "halo's compact sweep results file, then the averages (src/select/sweep_results.cc)",
      [] { return files({kSource / "examples/hypenet-2b/sweep.json"}); },
      {},
      [](const std::string& input, const fs::path& scratch) {
        put(scratch / "sweep.json", input);
        for (select::Mode mode : {select::Mode::halo, select::Mode::jet_nemotron}) {
          select::SweepResults results = select::load_sweep_file(scratch / "sweep.json", mode);
          (void)select::sweep_file_text(results);
          select::SweepAverages averages = select::average_sweep(results);
          (void)select::importance(averages, mode, "fuzz");
        }
      },
      500});

  for (const char* kind : {"results", "samples"}) {
    const fs::path model_dir = kData / "lm_eval/output/Qwen__Qwen3-1.7B";
    const std::string results_name = "results_2025-08-04T10-00-00.123456.json";
    const std::string samples_name = "samples_fda_2025-08-04T10-00-00.123456.jsonl";
    const bool results = std::strcmp(kind, "results") == 0;
    targets.push_back(Target{
        fmt::format("lm_eval_{}", kind), fmt::format("lm-eval's {} file (src/eval/lm_eval_files.cc)", kind),
        [=] {
          return results ? files({model_dir / results_name})
                         : files({model_dir / samples_name, model_dir / "samples_arc_easy_2025-08-04T10-00-00.123456.jsonl"});
        },
        [=](const fs::path& scratch) {
          fs::create_directories(scratch / "out/model");
          for (const auto& e : fs::directory_iterator(model_dir)) fs::copy_file(e.path(), scratch / "out/model" / e.path().filename());
        },
        [=](const std::string& input, const fs::path& scratch) {
          put(scratch / "out/model" / (results ? results_name : samples_name), input);
          (void)eval::read_lm_eval_output(scratch / "out");
        },
        500});
  }
  return targets;
}

}  // namespace

const std::vector<Target>& all_targets() {
  static const std::vector<Target> targets = make_targets();
  return targets;
}

const Target* find_target(const std::string& name) {
  for (const Target& t : all_targets()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace halo::fuzz
