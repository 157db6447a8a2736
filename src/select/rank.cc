#include "select/rank.h"

#include <fmt/format.h>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/log.h"
#include "select/hypenet_config.h"
#include "select/reference_output.h"
#include "select/report.h"
#include "select/sweep_results.h"

namespace halo::select {
namespace fs = std::filesystem;

namespace {

SweepResults load(const RankOptions& o) {
  if (o.results_file.has_value() == o.root.has_value()) {
    fail("give either --results FILE or --root DIR with --model NAME");
  }
  if (o.results_file) {
    if (!o.model.empty()) fail("--model {}: --results names the model itself", o.model);
    return load_sweep_file(*o.results_file);
  }
  if (o.model.empty()) fail("--root {}: --model NAME is required", o.root->string());
  // The model names a folder of the root, and the averages files are named after it.
  if (o.model.find('/') != std::string::npos || o.model == "." || o.model == "..") {
    fail("--model {}: expected the name of a folder in the sweep root", o.model);
  }
  return load_sweep_logs(*o.root, o.model);
}

Selection choose(const RankOptions& o, const std::vector<int>& order,
                 const std::vector<double>& score) {
  const int n = static_cast<int>(score.size());
  if (o.select && o.ratio) fail("give either --select or --ratio, not both");
  if (o.select) return select_top(order, score, *o.select, fmt::format("--select {}", *o.select));
  const double ratio = o.ratio.value_or(kDefaultRatio);
  return select_top(order, score, count_from_ratio(ratio, n),
                    fmt::format("--ratio {} of {} layers", ratio, n));
}

}  // namespace

RankRun run_rank(const RankOptions& o) {
  SweepResults results = load(o);
  RankRun run;
  Ranking& r = run.ranking;
  r.model = results.model;
  r.source = results.source;
  r.mode = o.mode;
  r.averages = average_sweep(results);
  if (o.export_file) {
    write_file_atomic(*o.export_file, sweep_file_text(results));
    run.written.push_back(*o.export_file);
  }
  r.score = importance(r.averages, o.mode, results.source);
  r.order = rank_layers(r.score);
  r.selection = choose(o, r.order, r.score);

  if (o.out) {
    run.out_dir = *o.out;
  } else if (o.root) {
    run.out_dir = *o.root;  // where layer_analysis.py writes its averages
  } else {
    run.out_dir = fs::path(r.model + "_rank");
  }
  const int n = static_cast<int>(r.score.size());
  const fs::path plot = run.out_dir / "importance.svg";
  auto write = [&](const fs::path& path, const std::string& text) {
    write_file_atomic(path, text);
    run.written.push_back(path);
  };
  write(run.out_dir / (r.model + "_commonsense_avg.json"), averages_json(r.averages.cs));
  write(run.out_dir / (r.model + "_retrieval_avg.json"), averages_json(r.averages.rt));
  write(run.out_dir / "ranking.json", ranking_json(r).dump(2) + "\n");
  write(run.out_dir / "hypenet_config.json",
        hypenet_config_text(o.config, n, r.selection.attention_layers));
  write(plot, importance_svg(r));
  write(run.out_dir / "report.html", report_html(r));

  if (!r.selection.boundary_tie.empty()) {
    warn("layers {} tie at the selection boundary (score {:.10f}); the tie rule (ascending layer "
         "index) decided which are kept",
         fmt::join(r.selection.boundary_tie, ", "),
         r.score[static_cast<std::size_t>(r.order[static_cast<std::size_t>(r.selection.k - 1)])]);
  }
  run.printed = reference_table(r, plot.string());
  run.printed += fmt::format("\nAttention layers (k = {}, {}): {}\n", r.selection.k,
                             r.selection.rule, fmt::join(r.selection.attention_layers, ", "));
  run.printed += fmt::format("Wrote {} files to {}\n", run.written.size(), run.out_dir.string());
  return run;
}

}  // namespace halo::select
