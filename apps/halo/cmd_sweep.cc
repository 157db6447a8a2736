// halo sweep: the HALO layer sweep (docs/sweep.md). The original model and, for every layer L, the
// model with only layer L converted, evaluated on the commonsense and retrieval suites from one
// load of the weights; results in the reference layout, resumable, shardable. The work is
// sweep::run_sweep_job's; this file only turns flags into its request.
#include <algorithm>
#include <memory>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "base/index_list.h"
#include "eval/eval_setup.h"
#include "sweep/sweep_job.h"

namespace halo::cli {

void add_sweep_command(CLI::App& app) {
  struct Args {
    std::string model_dir, rnn_dir, tokenizer;
    std::optional<int> rnn_step;
    std::string layers, model_name;
    std::string tasks = "commonsense,retrieval";
    std::string data, out;
    std::string limit;
    std::string precision = "bf16";
    std::string shard = "0/1";
    std::string device = "cpu";
    double prefix_memory_gib = double(eval::kDefaultPrefixMemory >> 30);
    bool dry_run = false;
    bool overwrite = false;
    std::string ruler_lengths = "4096";
    bool lm_eval_output = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sweep", "Evaluate the original model and every single-layer hybrid, "
                                              "writing the reference sweep layout");
  cmd->add_option("--model", args->model_dir, "HF model directory (config.json + safetensors + tokenizer)")->required();
  cmd->add_option("--rnn", args->rnn_dir, "HALO Stage-1 run directory (orig_config.json, ckpt_N/)");
  cmd->add_option("--rnn-step", args->rnn_step, "checkpoint step N of ckpt_N (default: the highest)");
  cmd->add_option("--tokenizer", args->tokenizer, "directory with tokenizer.json (default: the --model directory)");
  cmd->add_option("--layers", args->layers, "layers to convert one at a time, e.g. 0-27 (default: all)");
  cmd->add_option("--model-name", args->model_name,
                  "folder under --out for the layer variants (default: MODEL_DIR_NAME-lightning)");
  cmd->add_option("--tasks", args->tasks, "commonsense, retrieval, or both")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::Join);  // repeated flags, one per line
  cmd->add_option("--data", args->data, "directory of dataset files (docs/data.md)")->required();
  cmd->add_option("--out", args->out, "sweep root (ROOT/original, ROOT/NAME/layerL)")->required();
  cmd->add_option("--limit", args->limit, "evaluate only the first N documents of every task");
  cmd->add_option("--precision", args->precision, "bf16 (lm-eval's rounding) or fp32")
      ->check(CLI::IsMember({"bf16", "fp32"}))
      ->capture_default_str();
  cmd->add_option("--shard", args->shard, "run shard I of N (I/N, 0-based) into a shared --out")->capture_default_str();
  cmd->add_option("--device", args->device,
                  "cpu, cuda, cuda:N, or one worker per GPU: cuda:0,1,2,3 / cuda:all")
      ->capture_default_str();
  cmd->add_option("--prefix-memory", args->prefix_memory_gib,
                  "GiB that layer-prefix reuse may keep per generation batch or scoring pass (docs/sweep.md)")
      ->capture_default_str();
  cmd->add_flag("--dry-run", args->dry_run, "list the variants and the work without running");
  cmd->add_flag("--overwrite", args->overwrite,
                "replace variants that hold results of a run with other inputs (default: stop)");
  cmd->add_option("--ruler-lengths", args->ruler_lengths,
                  "ruler_qa_squad's sequence lengths, in order (lm-eval's --metadata max_seq_lengths)")
      ->capture_default_str();
  cmd->add_flag("--lm-eval-output", args->lm_eval_output,
                "also write lm-eval's own results and samples files under each variant's lm-eval/ folder");
  cmd->callback([args] {
    sweep::SweepRequest request;
    request.model_dir = args->model_dir;
    request.rnn_dir = args->rnn_dir;
    request.rnn_step = args->rnn_step;
    request.tokenizer_dir = args->tokenizer;
    request.layers = args->layers;
    request.model_name = args->model_name;
    request.tasks = args->tasks;
    std::replace(request.tasks.begin(), request.tasks.end(), '\n', ',');  // repeated --tasks add up
    request.data_dir = args->data;
    request.out = args->out;
    if (!args->limit.empty()) request.limit = parse_count(args->limit, "--limit");
    request.precision = args->precision == "fp32" ? eval::Precision::fp32 : eval::Precision::bf16;
    request.shard = sweep::parse_shard(args->shard);
    request.devices = args->device;
    HALO_CHECK(args->prefix_memory_gib > 0, "--prefix-memory must be positive (GiB)");
    request.prefix_memory = int64_t(args->prefix_memory_gib * double(int64_t(1) << 30));
    request.dry_run = args->dry_run;
    request.overwrite = args->overwrite;
    request.ruler_lengths = eval::parse_ruler_lengths(args->ruler_lengths);
    request.lm_eval_output = args->lm_eval_output;
    sweep::SweepOutcome outcome = sweep::run_sweep_job(request);
    const int total = outcome.ran + outcome.skipped + outcome.failed;
    if (outcome.failed > 0) {
      fail("{} of {} variant(s) failed or did not finish; each failed one has an error.log under {}", outcome.failed,
           total, args->out);
    }
  });
}

}  // namespace halo::cli
