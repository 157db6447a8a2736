// halo validate: evaluate the hybrid of HALO's selection and of alternative selections at the same k
// (docs/validate.md). The work is validate::run_validate's; this file only turns flags into its
// request.
#include <cstdint>
#include <cstdio>
#include <memory>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "base/index_list.h"
#include "eval/eval_setup.h"
#include "validate/validate_job.h"

namespace halo::cli {

void add_validate_command(CLI::App& app) {
  struct Args {
    std::string model_dir, rnn_dir, tokenizer, model_name, data, out, limit;
    std::optional<int> rnn_step;
    std::string precision = "bf16";
    std::string device = "cpu";
    double prefix_memory_gib = double(eval::kDefaultPrefixMemory >> 30);
    std::string ruler_lengths = "4096";
    int select = 0;
    double ratio = 0;
    std::uint64_t seed = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Evaluate the hybrids of HALO's selection and of alternatives (Jet-Nemotron, evenly "
                  "spaced, random) at the same k, every other layer converted");
  cmd->add_option("--model", args->model_dir, "HF model directory (config.json + safetensors + tokenizer)")->required();
  cmd->add_option("--rnn", args->rnn_dir, "HALO Stage-1 run directory (orig_config.json, ckpt_N/)")->required();
  cmd->add_option("--rnn-step", args->rnn_step, "checkpoint step N of ckpt_N (default: the highest)");
  cmd->add_option("--tokenizer", args->tokenizer, "directory with tokenizer.json (default: the --model directory)");
  cmd->add_option("--model-name", args->model_name,
                  "the sweep's folder of layer variants (default: MODEL_DIR_NAME-lightning)");
  cmd->add_option("--data", args->data, "directory of dataset files (docs/data.md)")->required();
  cmd->add_option("--out", args->out, "the sweep root: read the sweep there, write validate/ and validation.json")
      ->required();
  cmd->add_option("--limit", args->limit, "evaluate only the first N documents of every task");
  cmd->add_option("--precision", args->precision, "bf16 (lm-eval's rounding) or fp32")
      ->check(CLI::IsMember({"bf16", "fp32"}))
      ->capture_default_str();
  cmd->add_option("--device", args->device, "cpu, cuda, cuda:N, or one worker per GPU: cuda:0,1,2,3 / cuda:all")
      ->capture_default_str();
  cmd->add_option("--prefix-memory", args->prefix_memory_gib,
                  "GiB that layer-prefix reuse may keep per generation batch or scoring pass (docs/sweep.md)")
      ->capture_default_str();
  cmd->add_option("--ruler-lengths", args->ruler_lengths,
                  "ruler_qa_squad's sequence lengths, in order (lm-eval's --metadata max_seq_lengths)")
      ->capture_default_str();
  auto* select = cmd->add_option("--select", args->select, "keep this many attention layers");
  auto* ratio = cmd->add_option("--ratio", args->ratio, "keep this fraction of the layers, rounded half up (default 0.25)");
  select->excludes(ratio);
  cmd->add_option("--seed", args->seed, "seed of the random selection")->capture_default_str();
  cmd->callback([args, select, ratio] {
    validate::ValidateRequest request;
    sweep::SweepRequest& eval = request.eval;
    eval.model_dir = args->model_dir;
    eval.rnn_dir = args->rnn_dir;
    eval.rnn_step = args->rnn_step;
    eval.tokenizer_dir = args->tokenizer;
    eval.data_dir = args->data;
    eval.out = args->out;
    if (!args->limit.empty()) eval.limit = parse_count(args->limit, "--limit");
    eval.precision = args->precision == "fp32" ? eval::Precision::fp32 : eval::Precision::bf16;
    eval.devices = args->device;
    HALO_CHECK(args->prefix_memory_gib > 0, "--prefix-memory must be positive (GiB)");
    eval.prefix_memory = int64_t(args->prefix_memory_gib * double(int64_t(1) << 30));
    eval.ruler_lengths = eval::parse_ruler_lengths(args->ruler_lengths);
    request.model_name = args->model_name;
    if (*select) request.select = args->select;
    if (*ratio) request.ratio = args->ratio;
    request.seed = args->seed;
    const validate::ValidateRun run = validate::run_validate(request);
    std::fputs(run.printed.c_str(), stdout);
  });
}

}  // namespace halo::cli
