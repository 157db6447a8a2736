#include "select/rank.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/log.h"
#include "eval/probe_record.h"
#include "eval/outcome_journal.h"
#include "eval/sweep_layout.h"
#include "select/bootstrap.h"
#include "select/hypenet_config.h"
#include "select/reference_output.h"
#include "select/report.h"
#include "select/sweep_results.h"
#include "select/validation_file.h"

namespace halo::select {
namespace fs = std::filesystem;

namespace {

SweepResults load(const RankOptions& o, Mode mode) {
  if (o.results_file && o.root) fail("give either --results FILE or --root DIR with --model NAME, not both");
  if (!o.results_file && !o.root) {
    fail("give --results FILE or --root DIR with --model NAME (a probe proxy --score ranks from --probe FILE alone)");
  }
  if (o.results_file) {
    if (!o.model.empty()) fail("--model {}: --results names the model itself", o.model);
    return load_sweep_file(*o.results_file, mode);
  }
  if (o.model.empty()) fail("--root {}: --model NAME is required", o.root->string());
  // The model names a folder of the root, and the averages files are named after it.
  if (auto problem = eval::plain_name_problem(o.model)) {
    fail("--model {}: expected the name of a folder in the sweep root: {}",
         nlohmann::json(o.model).dump(), *problem);
  }
  return load_sweep_logs(*o.root, o.model, mode);
}

// The probe.json to read: --probe, else ROOT/probe.json when it exists; none otherwise.
std::optional<fs::path> probe_path(const RankOptions& o) {
  if (o.probe_file) return o.probe_file;
  if (o.root) {
    const fs::path in_root = *o.root / eval::kProbeFile;
    std::error_code ec;
    if (fs::is_regular_file(in_root, ec)) return in_root;
  }
  return std::nullopt;
}

// The one note for an original whose logs hold more rows than the layers' (the published
// HypeNet-8B sweep's original retrieval log also holds the commonsense tasks): as layer_analysis.py,
// its average takes every row, which moves its baseline (the jet-nemotron scores) but no HALO score.
void note_original_extra_rows(const SweepAverages& a) {
  std::vector<std::string> parts;
  for (const AveragedRows* rows : {&a.cs_rows, &a.rt_rows}) {
    if (rows->original_extra.empty()) continue;
    parts.push_back(fmt::format("{}: averages all {} rows of the original's log, as layer_analysis.py "
                                "does, {} more than the layers' {} ({})",
                                rows->original_source, rows->original.size(),
                                rows->original_extra.size(), rows->layers.size(),
                                fmt::join(rows->original_extra, ", ")));
  }
  if (parts.empty()) return;
  note("halo: note: {}; this moves the original's baseline (the jet-nemotron scores), not the HALO "
       "scores",
       fmt::join(parts, "; "));
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

// --bootstrap: the ranking's stability from the sweep's per-document outcomes, or nothing (one note)
// when the sweep has none (published logs, a results file).
std::optional<Stability> bootstrap_stability(const RankOptions& o, const SweepResults& results,
                                             const Ranking& r) {
  if (*o.bootstrap < 1) fail("--bootstrap {}: expected at least 1 replicate", *o.bootstrap);
  std::optional<SweepOutcomes> outcomes = load_sweep_outcomes(results);
  if (!outcomes) {
    note("halo: note: {}: no per-document outcomes ({} next to the results), so --bootstrap is "
         "skipped; only a sweep run by halo keeps them",
         results.source, eval::kOutcomesFile);
    return std::nullopt;
  }
  return bootstrap_ranking(results, *outcomes, o.mode, r.selection, {*o.bootstrap, o.seed});
}

// What `halo validate` left in the sweep root, for the report; nothing when it has not run there.
std::optional<Validation> validation_in(const fs::path& root, const std::string& model) {
  const fs::path path = root / kValidationFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  Validation v = read_validation_file(path);
  if (v.model != model) {
    note("halo: note: {}: validates model {}, not {}; left out of the report", path.string(), v.model, model);
    return std::nullopt;
  }
  return v;
}

}  // namespace

RankRun run_rank(const RankOptions& o) {
  const bool by_proxy = !o.proxy.empty();
  const std::optional<fs::path> probe_file = probe_path(o);
  std::optional<eval::ProbeRecord> probe;
  if (probe_file) probe = eval::read_probe_record(*probe_file);
  if (by_proxy && !probe) {
    fail("--score {} reads probe.json: give --probe FILE, or --root DIR holding the probe.json that "
         "halo probe --root DIR writes",
         o.proxy);
  }
  // A proxy ranks from probe.json alone; a sweep, when given, is then read as leniently as
  // jet-nemotron mode allows (retrieval only is enough) and only feeds the agreement section.
  const bool has_sweep = !by_proxy || o.results_file || (o.root && !o.model.empty());
  if (o.export_file && !has_sweep) fail("--export writes a sweep's results: give --root DIR --model NAME or --results");
  std::optional<SweepResults> results;
  if (has_sweep) results = load(o, by_proxy ? Mode::jet_nemotron : o.mode);

  RankRun run;
  Ranking& r = run.ranking;
  r.has_sweep = has_sweep;
  r.proxy = o.proxy;
  r.mode = o.mode;
  std::vector<double> sweep_score;  // the sweep's own score (the agreement's reference)
  std::string sweep_score_name;
  if (results) {
    r.model = results->model;
    r.source = results->source;
    r.averages = average_sweep(*results);
    note_original_extra_rows(r.averages);
    const Mode reference = by_proxy ? (r.averages.has_commonsense ? Mode::halo : Mode::jet_nemotron) : o.mode;
    sweep_score = importance(r.averages, reference, results->source);
    sweep_score_name = mode_name(reference);
  } else {
    r.model = fs::path(probe->model).lexically_normal().filename().string();
    if (r.model.empty() || eval::plain_name_problem(r.model)) r.model = "probe";
    r.source = probe_file->string();
  }
  r.score = by_proxy ? probe->proxy_by_layer(o.proxy, *probe_file) : sweep_score;
  r.order = rank_layers(r.score);
  r.selection = choose(o, r.order, r.score);
  if (results && probe) {
    r.agreement = compare_proxies(sweep_score_name, sweep_score, r.selection.k, *probe, *probe_file);
  }
  if (o.bootstrap) {
    // Resampling documents re-scores the sweep; a probe's proxy has no documents to resample.
    if (by_proxy || !results) fail("--bootstrap resamples a sweep's documents: use it with --score halo or jet-nemotron");
    r.stability = bootstrap_stability(o, *results, r);
  }
  if (o.root) r.validation = validation_in(*o.root, r.model);

  if (o.out) {
    run.out_dir = *o.out;
  } else if (o.root) {
    run.out_dir = *o.root;  // where layer_analysis.py writes its averages
  } else if (!results) {
    run.out_dir = probe_file->parent_path().empty() ? fs::path(".") : probe_file->parent_path();
  } else {
    run.out_dir = fs::path(r.model + "_rank");
  }
  const int n = static_cast<int>(r.score.size());
  const fs::path plot = run.out_dir / "importance.svg";
  // Every output is written, or none is (a full disk must not leave a half-updated folder).
  std::vector<FileWrite> files;
  if (o.export_file && results) files.push_back({*o.export_file, sweep_file_text(*results)});
  if (results && r.averages.has_commonsense) {
    files.push_back({run.out_dir / (r.model + "_commonsense_avg.json"), averages_json(r.averages.cs)});
  }
  if (results) files.push_back({run.out_dir / (r.model + "_retrieval_avg.json"), averages_json(r.averages.rt)});
  files.push_back({run.out_dir / "ranking.json", ranking_json(r).dump(2) + "\n"});
  files.push_back({run.out_dir / "hypenet_config.json",
                   hypenet_config_text(o.config, n, r.selection.attention_layers)});
  files.push_back({plot, importance_svg(r)});
  files.push_back({run.out_dir / "report.html", report_html(r)});
  write_files_atomic(files);
  for (const FileWrite& f : files) run.written.push_back(f.path);

  if (!r.selection.boundary_tie.empty()) {
    warn("layers {} tie at the selection boundary (score {:.10f}); the tie rule (ascending layer "
         "index) decided which are kept",
         fmt::join(r.selection.boundary_tie, ", "),
         r.score[static_cast<std::size_t>(r.order[static_cast<std::size_t>(r.selection.k - 1)])]);
  }
  run.printed = reference_table(r, plot.string());
  if (r.agreement) run.printed += agreement_lines(*r.agreement);
  run.printed += fmt::format("\nAttention layers (k = {}, {}): {}\n", r.selection.k,
                             r.selection.rule, fmt::join(r.selection.attention_layers, ", "));
  if (r.stability) run.printed += stability_summary(*r.stability, r.selection.attention_layers);
  run.printed += fmt::format("Wrote {} files to {}\n", run.written.size(), run.out_dir.string());
  return run;
}

}  // namespace halo::select
