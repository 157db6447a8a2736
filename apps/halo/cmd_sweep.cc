// halo sweep: the HALO layer sweep (docs/sweep.md). The original model and, for every layer L, the
// model with only layer L converted, evaluated on the commonsense and retrieval suites from one
// load of the weights; results in the reference layout, resumable, shardable.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "apps/halo/commands.h"
#include "apps/halo/eval_setup.h"
#include "apps/halo/model_options.h"
#include "base/error.h"
#include "base/index_list.h"
#include "eval/registry.h"
#include "io/checkpoint.h"
#include "runtime/model_runner.h"
#include "sweep/input_fingerprint.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_runner.h"

namespace halo::cli {

namespace {

// Everything a variant's numbers depend on besides its own layer choice.
std::string sweep_fingerprint(const std::filesystem::path& model_dir, const std::filesystem::path& rnn_dir,
                              int rnn_step, const std::vector<sweep::Suite>& suites,
                              const std::string& precision, std::optional<size_t> limit) {
  sweep::InputFingerprint fp;
  fp.add_text("format", "halo-sweep-1");
  fp.add_tree(model_dir);
  fp.add_file(rnn_dir / "orig_config.json");
  if (std::filesystem::exists(rnn_dir / "student_config.json")) fp.add_file(rnn_dir / "student_config.json");
  fp.add_weights(rnn_dir / fmt::format("ckpt_{}", rnn_step) / "model.safetensors");
  for (const auto& suite : suites) fp.add_text(suite.name, fmt::format("{:016x}", suite.prepared.input_hash));
  fp.add_text("precision", precision);
  fp.add_text("limit", limit ? std::to_string(*limit) : "all");
  return fp.hex();
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string layers;
    std::string model_name;
    std::string tasks = "commonsense,retrieval";
    std::string data;
    std::string out;
    std::optional<size_t> limit;
    std::string precision = "bf16";
    std::string shard = "0/1";
    bool dry_run = false;
    std::string ruler_lengths = "4096";
    bool lm_eval_output = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sweep", "Evaluate the original model and every single-layer hybrid, "
                                              "writing the reference sweep layout");
  args->model.add_to(*cmd);
  cmd->add_option("--layers", args->layers, "layers to convert one at a time, e.g. 0-27 (default: all)");
  cmd->add_option("--model-name", args->model_name,
                  "folder under --out for the layer variants (default: MODEL_DIR_NAME-lightning)");
  cmd->add_option("--tasks", args->tasks, "commonsense, retrieval, or both")->capture_default_str();
  cmd->add_option("--data", args->data, "directory of dataset files (docs/data.md)")->required();
  cmd->add_option("--out", args->out, "sweep root (ROOT/original, ROOT/NAME/layerL)")->required();
  cmd->add_option("--limit", args->limit, "evaluate only the first N documents of every task");
  cmd->add_option("--precision", args->precision, "bf16 (lm-eval's rounding) or fp32")
      ->check(CLI::IsMember({"bf16", "fp32"}))
      ->capture_default_str();
  cmd->add_option("--shard", args->shard, "run shard I of N (I/N, 0-based) into a shared --out")->capture_default_str();
  cmd->add_flag("--dry-run", args->dry_run, "list the variants and the work without running");
  cmd->add_option("--ruler-lengths", args->ruler_lengths,
                  "ruler_qa_squad's sequence lengths, in order (lm-eval's --metadata max_seq_lengths)")
      ->capture_default_str();
  cmd->add_flag("--lm-eval-output", args->lm_eval_output,
                "also write lm-eval's own results and samples files under each variant's lm-eval/ folder");
  cmd->callback([args] {
    HALO_CHECK(!args->model.rnn_dir.empty(), "sweep needs --rnn (the Stage-1 run whose layers are swept)");
    HALO_CHECK(args->model.convert.empty(), "sweep converts one layer at a time: use --layers, not --convert");
    HALO_CHECK(!args->limit || *args->limit > 0, "--limit must be at least 1");
    HALO_CHECK(std::filesystem::is_directory(args->data), "--data {}: not a directory", args->data);
    const std::filesystem::path model_dir = args->model.model_dir;
    const sweep::Shard shard = sweep::parse_shard(args->shard);
    std::vector<sweep::Suite> suites = sweep::parse_suites(args->tasks);

    io::ModelConfig config = io::load_model_config(model_dir / "config.json");
    sweep::PlanOptions plan;
    plan.num_layers = config.num_layers;
    plan.layers = args->layers.empty() ? parse_index_list(fmt::format("0-{}", config.num_layers - 1), config.num_layers, "--layers")
                                       : parse_index_list(args->layers, config.num_layers, "--layers");
    plan.model_name = args->model_name.empty()
                          ? std::filesystem::absolute(model_dir).lexically_normal().filename().string() + "-lightning"
                          : args->model_name;
    if (plan.model_name.empty() || plan.model_name == "original" || plan.model_name.find('/') != std::string::npos) {
      fail("--model-name '{}' must be a plain folder name other than 'original'", plan.model_name);
    }
    plan.shard = shard;
    std::vector<sweep::SweepVariant> variants = sweep::plan_variants(plan);

    // Requests are built once, before any weight is read, so data problems surface first.
    EvalSetup setup = make_eval_setup(model_dir, config);
    setup.options.data_dir = args->data;
    setup.options.limit = args->limit;
    setup.options.precision = args->precision == "fp32" ? eval::Precision::fp32 : eval::Precision::bf16;
    setup.options.max_seq_lengths = parse_ruler_lengths(args->ruler_lengths);
    for (sweep::Suite& suite : suites) {
      suite.prepared = eval::prepare_eval(eval::resolve_tasks(suite.name), *setup.codec, setup.options);
    }
    std::fprintf(stderr, "sweep: %zu variant(s) in shard %d/%d; per variant:\n%s", variants.size(), shard.index,
                 shard.count, sweep::describe_work(suites).c_str());
    if (args->dry_run) {
      for (const auto& v : variants) {
        std::printf("%s\t%s\n", v.label.c_str(), (std::filesystem::path(args->out) / v.relative).c_str());
      }
      return;
    }

    // Only the Stage-1 layers this shard converts are loaded.
    ModelOptions load = args->model;
    load.convert.clear();
    for (const auto& v : variants) {
      for (int layer : v.variant.converted_layers()) load.convert += (load.convert.empty() ? "" : ",") + std::to_string(layer);
    }
    LoadedVariant loaded = load_variant(load);
    const int rnn_step = io::open_stage1_run(args->model.rnn_dir, args->model.rnn_step).step;
    sweep::SweepOptions options;
    options.root = args->out;
    options.suites = std::move(suites);
    options.fingerprint = sweep_fingerprint(model_dir, args->model.rnn_dir, rnn_step,
                                            options.suites, args->precision, args->limit);
    options.model_args = "pretrained=" + args->model.model_dir + ",dtype=bfloat16";
    options.run = setup.options;
    if (args->lm_eval_output) options.lm_eval = lm_eval_run_info(setup, config, options.model_args, "1", "");
    if (shard.count > 1) options.summary_name = fmt::format("summary-shard-{}-of-{}.txt", shard.index, shard.count);
    backend::Backend& backend = *loaded.backend;
    const model::Model& model = *loaded.model;
    sweep::SweepOutcome outcome = sweep::run_sweep(variants, options, [&](const model::Variant& variant) {
      return std::make_unique<runtime::ModelRunner>(backend, model, variant);
    });
    if (outcome.failed > 0) {
      fail("{} of {} variant(s) failed; each has an error.log under {}", outcome.failed, variants.size(), args->out);
    }
  });
}

}  // namespace halo::cli
