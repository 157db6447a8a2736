// Per-document metrics and their aggregation, as lm-eval computes them (docs/lm-eval-rules.md §1, §7.1).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "eval/results.h"
#include "eval/task.h"
#include "runtime/language_model.h"

namespace halo::eval {

enum class Precision {
  bf16,  // lm-eval on a bf16 model: per-token log-probs in bf16, fp32 sum rounded to bf16
  fp32,  // exact: fp32 per-token log-probs summed in double
};

// A continuation's log-likelihood under the chosen precision (docs/lm-eval-rules.md §0.3 item 5).
double loglikelihood(const runtime::ContinuationScore& score, Precision precision);

// numpy.argmax: the first NaN if any, else the first maximum (ties → lowest index).
size_t argmax(std::span<const double> values);

struct ChoiceOutcome {
  std::vector<double> loglikelihoods;
  size_t prediction = 0;       // argmax of the log-likelihoods
  size_t prediction_norm = 0;  // argmax of log-likelihood / Python len(choice)
  double acc = 0;
  double acc_norm = 0;
};

ChoiceOutcome score_multiple_choice(const Doc& doc, std::span<const runtime::ContinuationScore> scores,
                                    Precision precision);
// The same from the choices' log-likelihoods (one per choice of `doc`).
ChoiceOutcome choose(const Doc& doc, std::vector<double> loglikelihoods);

struct Aggregate {
  double value = 0;
  std::optional<double> stderr_value;  // none → printed "N/A"
  bool integer = false;                // the value is a Python int (RULER's -1 for "no documents")
};

// Mean of the per-document values; stderr = sample standard deviation / sqrt(n) when the metric has
// one and there is more than one value (lm-eval's mean_stderr).
Aggregate aggregate_mean(std::span<const double> values, bool has_stderr);

// The metric's aggregation (task.h): mean with stderr, numpy mean (N/A), or RULER's per-length
// mean that skips the -1 placeholders and is the integer -1 when only placeholders remain.
Aggregate aggregate(std::span<const double> values, Aggregation how);

// lm-eval's per-task aggregation (TaskOutput.calculate_aggregate_metric, then make_table's order):
// every metric any document reported, with its values in document order, aggregated as the task
// declares it; an undeclared one (a RULER length outside the metric_list) by lm-eval's fallback,
// mean with stderr, without a higher_is_better entry. Sorted by name, as the table lists them.
std::vector<MetricResult> aggregate_documents(const Task& task, std::span<const DocOutcome> docs);

}  // namespace halo::eval
