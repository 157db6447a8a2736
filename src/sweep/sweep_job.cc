#include "sweep/sweep_job.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <set>

#include "backend/backend.h"
#include "base/error.h"
#include "base/index_list.h"
#include "base/output_path.h"
#include "eval/eval_setup.h"
#include "eval/registry.h"
#include "eval/task_loading.h"
#include "eval/sweep_layout.h"
#include "io/checkpoint.h"
#include "io/model_config.h"
#include "model/model.h"
#include "runtime/variant_set_runner.h"
#include "sweep/input_fingerprint.h"

namespace halo::sweep {

namespace {

// Everything a variant's numbers depend on besides its own layer choice, batch boundaries included
// (the journal's batches must be the same batches after a restart).
std::string sweep_fingerprint(const SweepRequest& request, int rnn_step, const std::vector<Suite>& suites,
                              const eval::RunOptions& run) {
  InputFingerprint fp;
  fp.add_text("format", "halo-sweep-2");
  fp.add_tree(request.model_dir);
  // A --tokenizer outside the model directory; the default adds nothing.
  if (!request.tokenizer_dir.empty() && !same_path(request.tokenizer_dir, request.model_dir)) {
    fp.add_tree(request.tokenizer_dir);
  }
  fp.add_file(request.rnn_dir / "orig_config.json");
  if (std::filesystem::exists(request.rnn_dir / "student_config.json")) {
    fp.add_file(request.rnn_dir / "student_config.json");
  }
  fp.add_weights(request.rnn_dir / fmt::format("ckpt_{}", rnn_step) / "model.safetensors");
  for (const auto& suite : suites) fp.add_text(suite.name, fmt::format("{:016x}", suite.prepared.input_hash));
  fp.add_text("precision", request.precision == eval::Precision::fp32 ? "fp32" : "bf16");
  fp.add_text("limit", request.limit ? std::to_string(*request.limit) : "all");
  fp.add_text("batches", fmt::format("{}/{}/{}", run.score_batch, run.generate_batch, run.generate_batch_tokens));
  return fp.hex();
}

// One worker: a backend, the weights loaded on it, and the plan's variants.
struct Worker {
  std::unique_ptr<backend::Backend> backend;
  std::unique_ptr<model::Model> model;
  std::unique_ptr<runtime::VariantSetRunner> runner;
};

// What can be checked before anything is read.
void check_request(const SweepRequest& request) {
  HALO_CHECK(!request.rnn_dir.empty(), "sweep needs --rnn (the Stage-1 run whose layers are swept)");
  HALO_CHECK(!request.limit || *request.limit > 0, "--limit must be at least 1");
  HALO_CHECK(std::filesystem::is_directory(request.data_dir), "--data {}: not a directory", request.data_dir.string());
  if (!request.dry_run) check_writable_dir(request.out, "--out");  // before hours of work, not after
}

}  // namespace

SweepOutcome run_sweep_job(const SweepRequest& request) {
  check_request(request);
  const io::ModelConfig config = io::load_model_config(request.model_dir / "config.json");
  PlanOptions plan;
  plan.num_layers = config.num_layers;
  plan.layers = parse_index_list(request.layers.empty() ? fmt::format("0-{}", config.num_layers - 1) : request.layers,
                                 config.num_layers, "--layers");
  plan.model_name = request.model_name.empty()
                        ? std::filesystem::absolute(request.model_dir).lexically_normal().filename().string() +
                              "-lightning"
                        : request.model_name;
  if (eval::plain_name_problem(plan.model_name) || plan.model_name == eval::kOriginalFolder) {
    fail("--model-name '{}' must be a plain folder name other than '{}'", plan.model_name, eval::kOriginalFolder);
  }
  plan.shard = request.shard;
  return run_planned_sweep(request, plan_variants(plan));
}

SweepOutcome run_planned_sweep(const SweepRequest& request, const std::vector<SweepVariant>& variants) {
  check_request(request);
  const std::vector<backend::DeviceSpec> devices = backend::parse_devices(request.devices);
  std::vector<Suite> suites = parse_suites(request.tasks);
  const io::ModelConfig config = io::load_model_config(request.model_dir / "config.json");
  // The folders are ours before any heavy work: a second sweep on this root stops here.
  std::optional<VariantLocks> locks;
  if (!request.dry_run) locks.emplace(request.out, variants);

  // Requests are built once, before any weight is read, so data problems surface first.
  eval::EvalSetup setup = eval::make_eval_setup(request.model_dir, request.tokenizer_dir, config);
  eval::RunOptions& run = setup.options;
  run.data_dir = request.data_dir;
  run.limit = request.limit;
  run.precision = request.precision;
  run.max_seq_lengths = request.ruler_lengths;
  std::vector<const eval::Task*> all_tasks;
  for (const Suite& suite : suites) {
    for (const eval::Task* task : eval::resolve_tasks(suite.name)) all_tasks.push_back(task);
  }
  eval::check_data_files(all_tasks, request.data_dir);  // every missing file at once, across suites
  for (Suite& suite : suites) {
    suite.prepared = eval::prepare_eval(eval::resolve_tasks(suite.name), *setup.codec, run);
  }
  std::fprintf(stderr, "sweep: %zu variant(s) in shard %d/%d; per variant:\n%s", variants.size(), request.shard.index,
               request.shard.count, describe_work(suites).c_str());
  if (request.dry_run) {
    for (const auto& v : variants) std::printf("%s\t%s\n", v.label.c_str(), (request.out / v.relative).c_str());
    return {};
  }

  // Weights: once per device, with only the Stage-1 layers this shard converts.
  model::LoadOptions load;
  load.rnn_dir = request.rnn_dir;
  load.rnn_step = request.rnn_step;
  std::set<int> converted;
  for (const auto& v : variants) {
    for (int layer : v.variant.converted_layers()) converted.insert(layer);
  }
  load.rnn_layers.assign(converted.begin(), converted.end());
  std::vector<model::Variant> plan_variants_only;
  for (const auto& v : variants) plan_variants_only.push_back(v.variant);
  std::vector<Worker> workers;
  for (const backend::DeviceSpec& device : devices) {
    Worker& w = workers.emplace_back();
    w.backend = backend::make_backend(device);
    w.model = std::make_unique<model::Model>(model::Model::load(*w.backend, request.model_dir, load));
    w.runner = std::make_unique<runtime::VariantSetRunner>(*w.backend, *w.model, plan_variants_only);
    w.runner->set_scoring_memory(request.prefix_memory);  // the same budget as a generation batch's
  }
  const int64_t activation_bytes = workers[0].backend->activation_dtype() == backend::DType::bf16 ? 2 : 4;
  eval::bound_generation_batches(run, runtime::kept_bytes_per_prompt_token(config, activation_bytes),
                                 request.prefix_memory);

  SweepOptions options;
  options.root = request.out;
  options.run = run;
  options.fingerprint = sweep_fingerprint(request, workers[0].model->rnn_step(), suites, run);
  options.suites = std::move(suites);
  options.overwrite_other_runs = request.overwrite;
  options.model_args = "pretrained=" + request.model_dir.string() + ",dtype=bfloat16";
  if (request.lm_eval_output) options.lm_eval = eval::lm_eval_run_info(setup, config, options.model_args, "1", "");
  if (!request.summary_name.empty()) {
    options.summary_name = request.summary_name;
  } else if (request.shard.count > 1) {
    options.summary_name = fmt::format("summary-shard-{}-of-{}.txt", request.shard.index, request.shard.count);
  }
  std::vector<runtime::VariantSet*> sets;
  for (Worker& w : workers) sets.push_back(w.runner.get());
  return run_sweep(variants, options, sets, *locks);
}

}  // namespace halo::sweep
