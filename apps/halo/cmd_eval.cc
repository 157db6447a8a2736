// halo eval: the lm-eval tasks of the HALO sweep on one model variant (docs/eval.md).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>

#include "apps/halo/commands.h"
#include "apps/halo/model_options.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/eval_setup.h"
#include "base/index_list.h"
#include "base/output_path.h"
#include "eval/registry.h"
#include "eval/results_io.h"
#include "eval/runner.h"
#include "runtime/model_runner.h"
#include "runtime/variant_set_runner.h"

namespace halo::cli {

void add_eval_command(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string tokenizer;
    std::string tasks;
    std::string data;
    std::string limit;
    std::string precision = "bf16";
    std::string out;
    std::string results_json;
    std::string log_samples;
    std::string ruler_lengths = "4096";
    std::string lm_eval_output;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("eval", "Run lm-eval-identical tasks (hellaswag, arc, fda, swde, ruler_qa_squad) "
                                             "and print lm-eval's results table");
  args->model.add_to(*cmd);
  cmd->add_option("--tokenizer", args->tokenizer, "directory with tokenizer.json (default: the --model directory)");
  // Repeated --tasks flags add up, as a comma list does; a task named twice runs once.
  cmd->add_option("--tasks", args->tasks, "commonsense, retrieval, task names, or a comma list of these")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::Join);  // repeated flags, one per line
  cmd->add_option("--data", args->data, "directory of dataset files (docs/data.md)")->required();
  cmd->add_option("--limit", args->limit, "evaluate only the first N documents of every task");
  cmd->add_option("--precision", args->precision, "bf16: lm-eval's rounding of log-likelihoods; fp32: exact")
      ->check(CLI::IsMember({"bf16", "fp32"}))
      ->capture_default_str();
  cmd->add_option("--out", args->out, "also write the printed report to this file");
  cmd->add_option("--results-json", args->results_json, "write every metric, stderr, counts, timings here");
  cmd->add_option("--log-samples", args->log_samples, "write one JSON line per document here");
  cmd->add_option("--ruler-lengths", args->ruler_lengths,
                  "ruler_qa_squad's sequence lengths, in order (lm-eval's --metadata max_seq_lengths)")
      ->capture_default_str();
  cmd->add_option("--lm-eval-output", args->lm_eval_output,
                  "also write lm-eval's own results and samples files under this folder "
                  "(as lm_eval --output_path DIR --log_samples; see docs/lm-eval-check.md)");
  cmd->callback([args] {
    const std::optional<size_t> limit =
        args->limit.empty() ? std::nullopt : std::optional<size_t>(parse_count(args->limit, "--limit"));
    std::replace(args->tasks.begin(), args->tasks.end(), '\n', ',');  // repeated --tasks add up
    std::vector<const eval::Task*> tasks = eval::resolve_tasks(args->tasks);
    HALO_CHECK(std::filesystem::is_directory(args->data), "--data {}: not a directory", args->data);
    // Every output location is checked before the evaluation, which may take hours.
    check_output_files({{"--out", args->out}, {"--results-json", args->results_json},
                        {"--log-samples", args->log_samples}});

    std::filesystem::path model_dir = args->model.model_dir;
    const io::ModelConfig config = io::load_model_config(model_dir / "config.json");
    eval::EvalSetup setup = eval::make_eval_setup(model_dir, args->tokenizer, config);
    eval::RunOptions& options = setup.options;
    options.data_dir = args->data;
    options.limit = limit;
    options.max_seq_lengths = eval::parse_ruler_lengths(args->ruler_lengths);
    // Data problems surface before the weights are read.
    eval::PreparedEval prepared = eval::prepare_eval(tasks, *setup.codec, options);

    LoadedVariant loaded = load_variant(args->model);
    runtime::ModelRunner runner(*loaded.backend, *loaded.model, loaded.variant);
    options.precision = args->precision == "fp32" ? eval::Precision::fp32 : eval::Precision::bf16;
    // The same generation batches as a sweep of this model cuts, so the numbers are the same.
    const int64_t activation_bytes = loaded.backend->activation_dtype() == backend::DType::bf16 ? 2 : 4;
    eval::bound_generation_batches(options, runtime::kept_bytes_per_prompt_token(loaded.model->config(), activation_bytes),
                                   eval::kDefaultPrefixMemory);
    std::ostringstream samples;
    if (!args->log_samples.empty()) options.samples = &samples;
    eval::EvalResults results = eval::run_prepared(prepared, runner, options);

    std::string model_args = "pretrained=" + args->model.model_dir + ",dtype=bfloat16";
    if (!args->model.rnn_dir.empty()) model_args += ",rnn=" + args->model.rnn_dir + ",convert=" + args->model.convert;
    bool all_multiple_choice = std::all_of(tasks.begin(), tasks.end(), [](const eval::Task* t) {
      return t->output_type == eval::OutputType::multiple_choice;
    });
    const std::string batch_size = all_multiple_choice ? "16" : "1";
    std::string report = eval::results_report(results, model_args, batch_size);
    std::fputs(report.c_str(), stdout);
    std::fflush(stdout);
    if (!args->out.empty()) write_file_atomic(args->out, report);
    if (!args->results_json.empty()) {
      nlohmann::json json = eval::results_json(results, model_args);
      write_file_atomic(args->results_json, json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    }
    if (!args->log_samples.empty()) write_file_atomic(args->log_samples, samples.str());
    if (!args->lm_eval_output.empty()) {
      auto info = lm_eval_run_info(setup, config, model_args, batch_size,
                                   "halo: " + results.model_description + " on " + args->model.device + ", precision " +
                                       results.precision);
      auto dir = eval::write_lm_eval_output(args->lm_eval_output, prepared, results, info);
      std::fprintf(stderr, "lm-eval output files in %s\n", dir.string().c_str());
    }
  });
}

}  // namespace halo::cli
