// halo probe: cheap per-layer proxy scores (KL to the original on generic text and at retrieval
// answers, gold-answer NLL increase, block influence) beside HALO's sweep (docs/probe.md). The work
// is probe::run_probe_job's; this file only turns flags into its request.
#include <memory>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "base/index_list.h"
#include "eval/eval_setup.h"
#include "probe/probe_job.h"

namespace halo::cli {

void add_probe_command(CLI::App& app) {
  struct Args {
    std::string model_dir, rnn_dir, tokenizer;
    std::optional<int> rnn_step;
    std::string layers;
    std::string calibration;
    int64_t chunk_tokens = probe::kDefaultChunkTokens;
    int64_t text_chunks = probe::kDefaultTextChunks;
    std::string data;
    std::string tasks = "commonsense,retrieval";
    std::string requests = std::to_string(probe::kDefaultRequests);
    std::string ruler_lengths = "4096";
    std::string out, root;
    std::string device = "cpu";
    std::string precision = "fp32";
    int64_t batch_tokens = probe::kDefaultBatchTokens;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("probe", "Cheap per-layer proxy scores (KL, NLL increase, block influence) "
                                              "for comparison with HALO's ranking");
  cmd->add_option("--model", args->model_dir, "HF model directory (config.json + safetensors + tokenizer)")->required();
  cmd->add_option("--rnn", args->rnn_dir, "HALO Stage-1 run directory (orig_config.json, ckpt_N/)");
  cmd->add_option("--rnn-step", args->rnn_step, "checkpoint step N of ckpt_N (default: the highest)");
  cmd->add_option("--tokenizer", args->tokenizer, "directory with tokenizer.json (default: the --model directory)");
  cmd->add_option("--layers", args->layers, "layers to probe, e.g. 0-27 (default: all)");
  cmd->add_option("--calibration", args->calibration,
                  "generic-text corpus, plain UTF-8 (kl-text and bi; docs/probe.md)");
  cmd->add_option("--chunk-tokens", args->chunk_tokens, "tokens per calibration chunk")->capture_default_str();
  cmd->add_option("--text-chunks", args->text_chunks, "calibration chunks used (spread over the file)")
      ->capture_default_str();
  cmd->add_option("--data", args->data, "directory of dataset files (docs/data.md; kl-retrieval and nll)");
  cmd->add_option("--tasks", args->tasks, "commonsense, retrieval, or both")->capture_default_str();
  cmd->add_option("--requests", args->requests, "the first N documents of every task")->capture_default_str();
  cmd->add_option("--ruler-lengths", args->ruler_lengths, "ruler_qa_squad's sequence lengths, as for halo eval")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "the probe.json to write");
  cmd->add_option("--root", args->root, "a sweep root: write ROOT/probe.json (where halo rank --root looks)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", args->precision, "log-probabilities of the NLL: fp32, or bf16 (lm-eval's rounding)")
      ->check(CLI::IsMember({"bf16", "fp32"}))
      ->capture_default_str();
  cmd->add_option("--batch-tokens", args->batch_tokens, "tokens packed into one probe pass")->capture_default_str();
  cmd->callback([args] {
    HALO_CHECK(args->out.empty() != args->root.empty(), "probe needs exactly one of --out FILE and --root DIR");
    probe::ProbeRequest request;
    request.model_dir = args->model_dir;
    request.rnn_dir = args->rnn_dir;
    request.rnn_step = args->rnn_step;
    request.tokenizer_dir = args->tokenizer;
    request.layers = args->layers;
    request.calibration = args->calibration;
    request.chunk_tokens = args->chunk_tokens;
    request.text_chunks = args->text_chunks;
    request.data_dir = args->data;
    request.tasks = args->tasks;
    request.requests = parse_count(args->requests, "--requests");
    request.ruler_lengths = eval::parse_ruler_lengths(args->ruler_lengths);
    request.out = args->out.empty() ? probe::probe_file_in(args->root) : std::filesystem::path(args->out);
    request.device = args->device;
    request.precision = args->precision == "bf16" ? eval::Precision::bf16 : eval::Precision::fp32;
    request.batch_tokens = args->batch_tokens;
    const eval::ProbeRecord record = probe::run_probe_job(request);
    std::printf("%s", probe::probe_summary(record).c_str());
    std::printf("Wrote %s\n", request.out.c_str());
  });
}

}  // namespace halo::cli
