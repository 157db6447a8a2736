#include "select/bootstrap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>

#include "base/error.h"
#include "eval/lm_eval_table.h"
#include "eval/metrics.h"
#include "select/importance.h"
#include "select/seeded_draw.h"

namespace halo::select {
namespace {

// numpy.percentile(values, 100 * q) with its default linear interpolation, on sorted values
// (including numpy's _lerp, which interpolates from the upper end when the fraction is >= 0.5).
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const double t = h - static_cast<double>(lo);
  if (lo + 1 >= sorted.size()) return sorted[lo];
  const double a = sorted[lo], b = sorted[lo + 1];
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

// A value as the ranking reads it from a log: lm-eval prints "%.4f" and the table is read back with
// Python's float() (eval/lm_eval_table.h); any later re-formatting of the cell keeps the value.
double printed_value(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.4f", value);
  return std::strtod(text, nullptr);
}

// One table row of one variant's suite, with what is needed to recompute it from documents.
struct Column {
  std::size_t task = 0;  // index into SweepOutcomes::tasks
  eval::Aggregation how = eval::Aggregation::mean;
  std::vector<double> values;  // per document; meaningful where `present`
  std::vector<char> present;   // the document reported this metric
};

// The rows of `suite` for variant v computed from its documents, as the sweep wrote its log.
std::vector<eval::TableRow> rows_from_documents(const SweepOutcomes& outcomes, std::size_t v,
                                                Suite suite, const std::string& source) {
  std::vector<eval::TaskResult> tasks;
  for (const TaskOutcomes& t : outcomes.tasks) {
    if (t.suite != suite) continue;
    eval::TaskResult r;
    r.name = t.task->name;
    r.version = t.task->version;
    r.num_samples = t.docs();
    r.metrics = eval::aggregate_documents(*t.task, t.variants[v]);
    tasks.push_back(std::move(r));
  }
  return eval::parse_results_table(eval::format_results_table(tasks), source);
}

// Checks that variant v's documents give exactly the rows the ranking read, and returns the columns
// behind those rows (in row order).
std::vector<Column> columns_for(const SweepOutcomes& outcomes, std::size_t v, Suite suite,
                                const VariantResults& variant) {
  const std::string& journal = outcomes.sources[v];
  const SuiteResults& loaded = variant.suite(suite);
  const std::vector<eval::TableRow> rows = rows_from_documents(outcomes, v, suite, journal);
  for (std::size_t i = 0; i < std::max(rows.size(), loaded.rows.size()); ++i) {
    if (i >= rows.size()) {
      fail("{}: {}: its outcomes give no {}/{} row, which {} has; the journal and the log come from "
           "different runs",
           journal, variant.label, loaded.rows[i].task, loaded.rows[i].metric, loaded.source);
    }
    if (i >= loaded.rows.size() || rows[i].task != loaded.rows[i].task ||
        rows[i].metric != loaded.rows[i].metric) {
      fail("{}: {}: its outcomes give a {}/{} row that {} does not have there; the journal and the "
           "log come from different runs",
           journal, variant.label, rows[i].task, rows[i].metric, loaded.source);
    }
    if (rows[i].value != loaded.rows[i].value) {
      fail("{}: {}: its outcomes give {}/{} = {}, but {} says {}; the journal and the log come from "
           "different runs",
           journal, variant.label, rows[i].task, rows[i].metric, rows[i].value, loaded.source,
           loaded.rows[i].value);
    }
  }
  std::vector<Column> columns;
  for (const eval::TableRow& row : rows) {
    Column c;
    while (c.task < outcomes.tasks.size() &&
           (outcomes.tasks[c.task].suite != suite || outcomes.tasks[c.task].task->name != row.task)) {
      ++c.task;
    }
    HALO_CHECK(c.task < outcomes.tasks.size(), "internal: no outcomes for table row {}", row.task);
    const TaskOutcomes& t = outcomes.tasks[c.task];
    // The aggregation eval::aggregate_documents uses: the task's declared one, else lm-eval's mean.
    for (const eval::MetricSpec& spec : t.task->metrics) {
      if (spec.name == row.metric) c.how = spec.aggregation;
    }
    c.values.assign(t.docs(), 0);
    c.present.assign(t.docs(), 0);
    for (std::size_t d = 0; d < t.docs(); ++d) {
      for (const eval::MetricValue& m : t.variants[v][d].metrics) {
        if (m.name != row.metric) continue;
        c.values[d] = m.value;
        c.present[d] = 1;
      }
    }
    columns.push_back(std::move(c));
  }
  return columns;
}

}  // namespace

Stability bootstrap_ranking(const SweepResults& results, const SweepOutcomes& outcomes, Mode mode,
                            const Selection& selection, const BootstrapOptions& options) {
  HALO_CHECK(options.replicates >= 1, "--bootstrap {}: expected at least 1 replicate", options.replicates);
  const std::size_t num_layers = results.layers.size();
  HALO_CHECK(outcomes.sources.size() == num_layers + 1, "internal: outcomes of {} variants for {} layers",
             outcomes.sources.size(), num_layers);

  // The replicate's tables: a copy of the loaded ones whose values each replicate overwrites.
  SweepResults replicate = results;
  std::vector<VariantResults*> variants{&replicate.original};
  for (VariantResults& v : replicate.layers) variants.push_back(&v);
  struct Target {
    std::vector<TableRow>* rows;
    std::vector<Column> columns;
  };
  std::vector<Target> targets;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    for (Suite s : kSuites) {
      if (!results.has(s)) continue;
      targets.push_back({&variants[v]->suite(s).rows, columns_for(outcomes, v, s, *variants[v])});
    }
  }

  Stability st;
  st.replicates = options.replicates;
  st.seed = options.seed;
  st.k = selection.k;
  for (const TaskOutcomes& t : outcomes.tasks) {
    st.tasks.push_back({std::string(suite_name(t.suite)), t.task->name, t.docs()});
  }
  std::vector<int> in_top(num_layers, 0);
  std::vector<std::vector<double>> scores(num_layers);
  int reproduced = 0;

  std::mt19937_64 engine(options.seed);
  std::vector<std::vector<std::size_t>> drawn(outcomes.tasks.size());
  std::vector<double> picked;
  for (int r = 0; r < options.replicates; ++r) {
    for (std::size_t t = 0; t < outcomes.tasks.size(); ++t) {
      const std::size_t n = outcomes.tasks[t].docs();
      drawn[t].resize(n);
      for (std::size_t d = 0; d < n; ++d) drawn[t][d] = static_cast<std::size_t>(uniform_below(engine, n));
    }
    for (Target& target : targets) {
      for (std::size_t i = 0; i < target.columns.size(); ++i) {
        const Column& c = target.columns[i];
        picked.clear();
        for (std::size_t d : drawn[c.task]) {
          if (c.present[d]) picked.push_back(c.values[d]);
        }
        // No drawn document reported the metric (a RULER length of which none was drawn): RULER's
        // own aggregate for "no documents", the placeholder -1, which the averages drop.
        const double value = picked.empty() ? -1.0 : eval::aggregate(picked, c.how).value;
        (*target.rows)[i].value = printed_value(value);
      }
    }
    std::vector<double> score;
    try {
      score = importance(average_sweep(replicate), mode, replicate.source);
    } catch (const Error&) {
      continue;  // these documents cannot rank the layers (importance.h): not a ranked replicate
    }
    ++st.ranked;
    const Selection top = select_top(rank_layers(score), score, selection.k, selection.rule);
    for (int layer : top.attention_layers) ++in_top[static_cast<std::size_t>(layer)];
    reproduced += top.attention_layers == selection.attention_layers;
    for (std::size_t l = 0; l < num_layers; ++l) scores[l].push_back(score[l]);
  }

  const double ranked = st.ranked;
  st.p_selection = st.ranked ? reproduced / ranked : std::numeric_limits<double>::quiet_NaN();
  for (std::size_t l = 0; l < num_layers; ++l) {
    st.p_top_k.push_back(st.ranked ? in_top[l] / ranked : std::numeric_limits<double>::quiet_NaN());
    std::sort(scores[l].begin(), scores[l].end());
    st.score_low.push_back(percentile(scores[l], 0.025));
    st.score_high.push_back(percentile(scores[l], 0.975));
  }
  return st;
}

}  // namespace halo::select
