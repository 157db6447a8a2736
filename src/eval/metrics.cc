#include "eval/metrics.h"

#include <algorithm>
#include <cmath>

#include "base/bf16.h"
#include "base/error.h"
#include "eval/py_string.h"

namespace halo::eval {

double loglikelihood(const runtime::ContinuationScore& score, Precision precision) {
  if (precision == Precision::bf16) {
    float sum = 0.0f;  // torch sums a bf16 tensor in fp32 and returns bf16
    for (float lp : score.token_logprobs_bf16) sum += round_to_bf16(lp);
    return double(round_to_bf16(sum));
  }
  double sum = 0.0;
  for (float lp : score.token_logprobs) sum += double(lp);
  return sum;
}

size_t argmax(std::span<const double> values) {
  size_t best = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return i;
    if (values[i] > values[best]) best = i;
  }
  return best;
}

ChoiceOutcome score_multiple_choice(const Doc& doc, std::span<const runtime::ContinuationScore> scores,
                                    Precision precision) {
  HALO_CHECK(scores.size() == doc.choices.size(), "model returned {} scores for {} choices", scores.size(),
             doc.choices.size());
  std::vector<double> loglikelihoods;
  for (const auto& score : scores) loglikelihoods.push_back(loglikelihood(score, precision));
  return choose(doc, std::move(loglikelihoods));
}

ChoiceOutcome choose(const Doc& doc, std::vector<double> loglikelihoods) {
  HALO_CHECK(loglikelihoods.size() == doc.choices.size(), "{} log-likelihoods for {} choices",
             loglikelihoods.size(), doc.choices.size());
  ChoiceOutcome out;
  out.loglikelihoods = std::move(loglikelihoods);
  std::vector<double> normalized;
  for (size_t i = 0; i < out.loglikelihoods.size(); ++i) {
    // Python len of the choice (code points, no delimiter); float64 division as numpy does.
    normalized.push_back(out.loglikelihoods[i] / double(py::len(doc.choices[i])));
  }
  out.prediction = argmax(out.loglikelihoods);
  out.prediction_norm = argmax(normalized);
  out.acc = out.prediction == size_t(doc.gold) ? 1.0 : 0.0;
  out.acc_norm = out.prediction_norm == size_t(doc.gold) ? 1.0 : 0.0;
  return out;
}

Aggregate aggregate_mean(std::span<const double> values, bool has_stderr) {
  Aggregate out;
  HALO_CHECK(!values.empty(), "no documents to aggregate");
  double sum = 0.0;
  for (double v : values) sum += v;
  double mean = sum / double(values.size());
  out.value = mean;
  if (has_stderr && values.size() > 1) {
    double squares = 0.0;
    for (double v : values) squares += (v - mean) * (v - mean);
    double n = double(values.size());
    out.stderr_value = std::sqrt(squares / (n - 1)) / std::sqrt(n);
  }
  return out;
}

Aggregate aggregate(std::span<const double> values, Aggregation how) {
  if (how != Aggregation::ruler_length) return aggregate_mean(values, how == Aggregation::mean);
  std::vector<double> kept;
  for (double v : values) {
    if (v != -1) kept.push_back(v);
  }
  if (kept.empty()) return Aggregate{-1, std::nullopt, true};
  return aggregate_mean(kept, false);
}

std::vector<MetricResult> aggregate_documents(const Task& task, std::span<const DocOutcome> docs) {
  std::vector<std::pair<std::string, std::vector<double>>> columns;  // first-reported order
  for (const auto& doc : docs) {
    for (const auto& m : doc.metrics) {
      auto it = std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.first == m.name; });
      if (it == columns.end()) it = columns.insert(columns.end(), {m.name, {}});
      it->second.push_back(m.value);
    }
  }
  std::vector<MetricResult> out;
  for (const auto& [name, values] : columns) {
    auto spec = std::find_if(task.metrics.begin(), task.metrics.end(), [&](const MetricSpec& s) { return s.name == name; });
    Aggregate agg = aggregate(values, spec == task.metrics.end() ? Aggregation::mean : spec->aggregation);
    MetricResult result{name, agg.value, agg.stderr_value, true, spec != task.metrics.end(), agg.integer};
    out.push_back(std::move(result));
  }
  std::sort(out.begin(), out.end(), [](const MetricResult& a, const MetricResult& b) { return a.name < b.name; });
  return out;
}

}  // namespace halo::eval
