#include "validate/validate_job.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/probe_record.h"
#include "eval/sweep_layout.h"
#include "io/model_config.h"
#include "model/variant.h"
#include "select/rank.h"
#include "select/ranking.h"
#include "select/sweep_results.h"
#include "select/validation_file.h"

namespace halo::validate {
namespace fs = std::filesystem;

namespace {

int chosen_k(const ValidateRequest& r, int num_layers) {
  if (r.select && r.ratio) fail("give either --select or --ratio, not both");
  const int k = r.select ? *r.select : select::count_from_ratio(r.ratio.value_or(select::kDefaultRatio), num_layers);
  if (k < 1 || k > num_layers) {
    fail("--select {}: expected between 1 and {} attention layers", k, num_layers);
  }
  return k;
}

// Every layer but the kept ones converted.
std::vector<int> converted_layers(int num_layers, const std::vector<int>& attention) {
  std::vector<int> out;
  for (int l = 0; l < num_layers; ++l) {
    if (std::find(attention.begin(), attention.end(), l) == attention.end()) out.push_back(l);
  }
  return out;
}

}  // namespace

ValidateRun run_validate(const ValidateRequest& request) {
  const fs::path& root = request.eval.out;
  // The sweep's default folder name for the layer variants (sweep_job.cc).
  const std::string model_name =
      request.model_name.empty()
          ? fs::absolute(request.eval.model_dir).lexically_normal().filename().string() + "-lightning"
          : request.model_name;
  if (auto problem = eval::plain_name_problem(model_name)) {
    fail("--model-name {}: expected the name of a folder in the sweep root: {}", nlohmann::json(model_name).dump(),
         *problem);
  }
  // The sweep's results, as `halo rank` reads them (HALO needs both suites).
  const select::SweepResults results = select::load_sweep_logs(root, model_name, select::Mode::halo);
  const int n = static_cast<int>(results.layers.size());
  const io::ModelConfig config = io::load_model_config(request.eval.model_dir / "config.json");
  if (config.num_layers != n) {
    fail("{}: {} layers, but the sweep in {} has {}", (request.eval.model_dir / "config.json").string(),
         config.num_layers, root.string(), n);
  }
  const int k = chosen_k(request, n);

  select::Validation v;
  v.model = model_name;
  v.num_layers = n;
  v.k = k;
  v.seed = request.seed;
  v.selections = select::default_selections(results, k, request.seed);
  // The proxies' choices at the same k, when `halo probe --root` left its record in the root.
  const fs::path probe_path = root / eval::kProbeFile;
  std::error_code ec;
  if (fs::exists(probe_path, ec)) {
    const eval::ProbeRecord probe = eval::read_probe_record(probe_path);
    if (probe.num_layers != n) fail("{}: {} layers, but the sweep has {}", probe_path.string(), probe.num_layers, n);
    for (select::NamedSelection& s : select::proxy_selections(probe, probe_path, k)) v.selections.push_back(std::move(s));
  }
  for (const select::NamedSelection& s : request.extra) {
    select::check_selection(s, n, k);
    for (const select::NamedSelection& other : v.selections) {
      if (other.name == s.name) fail("selection {}: the name is taken", s.name);
    }
    v.selections.push_back(s);
  }
  v.hybrids = select::group_selections(v.selections);

  // Each distinct hybrid is a variant folder of the root; the sweep runner evaluates, journals and
  // resumes them as it does the sweep's own variants.
  std::vector<sweep::SweepVariant> variants;
  for (const select::ValidatedHybrid& h : v.hybrids) {
    variants.push_back({fmt::format("attention {}", fmt::join(h.attention_layers, ",")), fs::path(h.folder),
                        model::Variant::converting(n, converted_layers(n, h.attention_layers))});
  }
  sweep::SweepRequest eval = request.eval;
  eval.tasks = "commonsense,retrieval";
  eval.summary_name = "validation-summary.txt";
  const sweep::SweepOutcome outcome = sweep::run_planned_sweep(eval, variants);
  if (outcome.failed > 0) {
    fail("{} of {} hybrid(s) failed or did not finish; each failed one has an error.log under {}", outcome.failed,
         variants.size(), (root / "validate").string());
  }

  v.original = select::measure_variant(root / eval::kOriginalFolder, "original", v.columns);
  v.original.names = {std::string(eval::kOriginalFolder)};
  v.original.folder = std::string(eval::kOriginalFolder);
  for (int l = 0; l < n; ++l) v.original.attention_layers.push_back(l);
  for (select::ValidatedHybrid& h : v.hybrids) {
    select::ValidatedHybrid measured = select::measure_variant(root / h.folder, h.folder, v.columns);
    h.values = std::move(measured.values);
    h.commonsense = measured.commonsense;
    h.retrieval = measured.retrieval;
  }
  write_file_atomic(root / select::kValidationFile, select::validation_file_text(v));
  ValidateRun run{v, select::validation_table(v)};
  run.printed += fmt::format("Wrote {}\n", (root / select::kValidationFile).string());
  return run;
}

}  // namespace halo::validate
