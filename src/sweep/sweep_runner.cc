#include "sweep/sweep_runner.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/progress.h"
#include "eval/results_io.h"

namespace halo::sweep {

namespace {

constexpr const char* kResultsFile = "results.json";
constexpr const char* kErrorFile = "error.log";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "hellaswag acc_norm 0.6044, ..." for the progress line and summary.txt.
std::string headline(const eval::EvalResults& results) {
  std::string text;
  for (const auto& task : results.tasks) {
    const eval::MetricResult& m = task.metrics.back();  // acc_norm / contains / 4096
    text += fmt::format("{}{} {} {:.4f}", text.empty() ? "" : ", ", task.name, m.name, m.value);
  }
  return text;
}

struct VariantLine {
  std::string label, status, detail;
  double seconds = 0;
};

void write_summary(const std::filesystem::path& path, const std::vector<VariantLine>& lines,
                   const SweepOutcome& outcome) {
  std::string text = fmt::format("halo sweep summary: {} ran, {} skipped (already complete), {} failed\n\n",
                                 outcome.ran, outcome.skipped, outcome.failed);
  for (const auto& line : lines) {
    text += fmt::format("{:<10} {:<8} {:>8}  {}\n", line.label, line.status,
                        line.seconds > 0 ? format_duration(line.seconds) : "-", line.detail);
  }
  write_file_atomic(path, text);
}

}  // namespace

std::vector<Suite> parse_suites(const std::string& spec) {
  std::vector<Suite> suites;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    std::string name = spec.substr(start, comma - start);
    start = comma + 1;
    Suite suite;
    if (name == "commonsense") {
      suite = {"commonsense", "commonsense_eval.log", "16", {}};
    } else if (name == "retrieval") {
      suite = {"retrieval", "retrieval_eval.log", "1", {}};
    } else {
      fail("--tasks: '{}' is not a sweep suite (use commonsense, retrieval or both)", name);
    }
    bool seen = false;
    for (const auto& s : suites) seen = seen || s.name == suite.name;
    if (!seen) suites.push_back(suite);
  }
  return suites;
}

bool variant_complete(const std::filesystem::path& dir, const std::vector<Suite>& suites,
                      const std::string& fingerprint) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / kResultsFile, ec)) return false;
  nlohmann::json results = nlohmann::json::parse(read_file(dir / kResultsFile), nullptr, false);
  if (results.is_discarded() || !results.is_object() || results.value("fingerprint", "") != fingerprint ||
      !results.contains("suites") || !results["suites"].is_object()) {
    return false;
  }
  for (const auto& suite : suites) {
    if (!results["suites"].contains(suite.name) ||
        !std::filesystem::is_regular_file(dir / suite.log_name, ec)) {
      return false;
    }
  }
  return true;
}

std::string describe_work(const std::vector<Suite>& suites) {
  std::string text;
  for (const Suite& suite : suites) {
    size_t docs = 0, requests = 0, prompts = 0;
    int64_t tokens = 0, max_new = 0;
    for (const eval::PreparedTask& task : suite.prepared.tasks) {
      docs += task.docs.size();
      for (const auto& built : task.score_requests) {
        tokens += int64_t(built.request.context.size());
        for (const auto& c : built.request.continuations) tokens += int64_t(c.size());
        requests += built.request.continuations.size();
      }
      for (const auto& prompt : task.prompts) tokens += int64_t(prompt.size());
      prompts += task.prompts.size();
      max_new += int64_t(task.prompts.size()) * task.max_new_tokens;
    }
    text += fmt::format("  {}: {} documents, {} log-likelihood requests, {} generations, {} input tokens "
                        "(+ at most {} generated)\n",
                        suite.name, docs, requests, prompts, tokens, max_new);
  }
  return text;
}

SweepOutcome run_sweep(const std::vector<SweepVariant>& variants, const SweepOptions& options,
                       const ModelFactory& make_model) {
  SweepOutcome outcome;
  std::vector<VariantLine> lines;
  const auto sweep_start = std::chrono::steady_clock::now();
  double run_seconds = 0;
  for (size_t i = 0; i < variants.size(); ++i) {
    const SweepVariant& v = variants[i];
    const std::filesystem::path dir = options.root / v.relative;
    const std::string prefix = fmt::format("[{}/{}] {}", i + 1, variants.size(), v.label);
    if (variant_complete(dir, options.suites, options.fingerprint)) {
      ++outcome.skipped;
      lines.push_back({v.label, "skipped", "complete from an earlier run", 0});
      std::fprintf(stderr, "%s: already complete, skipped\n", prefix.c_str());
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      std::unique_ptr<runtime::LanguageModel> model = make_model(v.variant);
      nlohmann::json results = {{"format", "halo-sweep-variant"},
                                {"version", 1},
                                {"variant", v.label},
                                {"converted_layers", v.variant.converted_layers()},
                                {"fingerprint", options.fingerprint},
                                {"suites", nlohmann::json::object()}};
      std::string detail;
      for (const Suite& suite : options.suites) {
        eval::EvalResults r = eval::run_prepared(suite.prepared, *model, options.run);
        // Each log is complete on its own, but only results.json (written last) marks the variant done.
        write_file_atomic(dir / suite.log_name, eval::results_report(r, options.model_args, suite.batch_size));
        if (options.lm_eval) {
          eval::LmEvalRunInfo info = *options.lm_eval;
          info.batch_size = eval::lm_eval_batch_size(suite.batch_size);
          info.environment = "halo sweep, " + v.label + ": " + r.model_description;
          eval::write_lm_eval_output(dir / "lm-eval", suite.prepared, r, info);
        }
        results["suites"][suite.name] = eval::results_json(r, options.model_args);
        detail += (detail.empty() ? "" : "; ") + headline(r);
      }
      results["seconds"] = seconds_since(start);
      std::filesystem::remove(dir / kErrorFile);
      write_file_atomic(dir / kResultsFile, results.dump(2) + "\n");
      ++outcome.ran;
      lines.push_back({v.label, "done", detail, seconds_since(start)});
    } catch (const Error& e) {
      ++outcome.failed;
      write_file_atomic(dir / kErrorFile, std::string(e.what()) + "\n");
      lines.push_back({v.label, "FAILED", e.what(), seconds_since(start)});
    }
    run_seconds += seconds_since(start);
    int done_here = outcome.ran + outcome.failed;
    size_t left = variants.size() - i - 1;
    double eta = done_here > 0 ? run_seconds / done_here * double(left) : 0;
    std::fprintf(stderr, "%s: %s in %s (%s); %zu left, ETA %s\n", prefix.c_str(), lines.back().status.c_str(),
                 format_duration(lines.back().seconds).c_str(), lines.back().detail.c_str(), left,
                 format_duration(eta).c_str());
    write_summary(options.root / options.summary_name, lines, outcome);
  }
  write_summary(options.root / options.summary_name, lines, outcome);
  std::fprintf(stderr, "sweep finished in %s: %d ran, %d skipped, %d failed\n",
               format_duration(seconds_since(sweep_start)).c_str(), outcome.ran, outcome.skipped,
               outcome.failed);
  return outcome;
}

}  // namespace halo::sweep
