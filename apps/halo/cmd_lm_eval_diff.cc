// halo lm-eval-diff: compare lm-eval's own output folder with the one `halo eval --lm-eval-output`
// wrote for the same model and data (docs/lm-eval-check.md). Exit status as diff(1): 0 when they
// agree, 1 when anything differs, 2 when an input cannot be read.
#include <cstdio>
#include <memory>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "eval/lm_eval_diff.h"

namespace halo::cli {

void add_lm_eval_diff_command(CLI::App& app) {
  struct Args {
    std::string reference;
    std::string candidate;
    std::string tasks;
    double ll_tolerance = eval::LmEvalDiffOptions{}.ll_tolerance;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("lm-eval-diff", "Compare lm-eval's output files (--log_samples) with halo's "
                                                     "(eval --lm-eval-output): metrics and every differing document");
  cmd->add_option("--lm-eval", args->reference, "lm-eval's --output_path (or its model folder)")->required();
  cmd->add_option("--halo", args->candidate, "halo eval's --lm-eval-output folder (or its model folder)")->required();
  cmd->add_option("--tasks", args->tasks, "compare only these tasks (comma list; default: every task of either side)");
  cmd->add_option("--ll-tolerance", args->ll_tolerance,
                  "log-likelihoods agree within this many nats plus one bf16 spacing of their magnitude")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([args] {
    eval::LmEvalDiff diff;
    try {
      eval::LmEvalDiffOptions options;
      options.ll_tolerance = args->ll_tolerance;
      for (size_t start = 0; !args->tasks.empty() && start <= args->tasks.size();) {
        size_t comma = std::min(args->tasks.find(',', start), args->tasks.size());
        HALO_CHECK(comma > start, "--tasks: empty task name in '{}'", args->tasks);
        options.tasks.push_back(args->tasks.substr(start, comma - start));
        start = comma + 1;
      }
      eval::LmEvalOutput reference = eval::read_lm_eval_output(args->reference);
      eval::LmEvalOutput candidate = eval::read_lm_eval_output(args->candidate);
      diff = eval::diff_lm_eval_outputs(reference, candidate, options);
    } catch (const Error& e) {
      std::fprintf(stderr, "halo: error: %s\n", e.what());
      throw ExitStatus{2};
    }
    std::fputs(diff.report.c_str(), stdout);
    std::fflush(stdout);
    if (!diff.agree()) throw ExitStatus{1};
  });
}

}  // namespace halo::cli
