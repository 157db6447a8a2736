// `halo rank`: score, rank and choose attention layers from a layer sweep (docs/rank.md).
#include <cstdint>
#include <cstdio>
#include <memory>

#include "apps/halo/commands.h"
#include "select/importance.h"
#include "select/rank.h"
#include "select/score_choice.h"

namespace halo::cli {

void add_rank_command(CLI::App& app) {
  struct Flags {
    std::string root, model, results, mode = "halo", config, out, export_file, score, probe;
    int select = 0;
    double ratio = 0;
    int bootstrap = 0;
    std::uint64_t seed = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "rank", "Rank layers by importance from a layer sweep and choose the attention layers");
  auto* root = cmd->add_option("--root", flags->root,
                               "Sweep root: original/ and MODEL/layer<L>/ with lm-eval logs");
  auto* model = cmd->add_option("--model", flags->model, "The variants' folder in the sweep root");
  auto* results = cmd->add_option("--results", flags->results,
                                  "A halo sweep results file (e.g. examples/hypenet-2b/sweep.json)");
  auto* mode = cmd->add_option("--mode", flags->mode, "Importance: halo or jet-nemotron")->capture_default_str();
  auto* score = cmd->add_option("--score", flags->score,
                                "Importance: halo, jet-nemotron, or a halo probe proxy: kl-text, kl-retrieval, nll, bi");
  auto* probe = cmd->add_option("--probe", flags->probe,
                                "probe.json of halo probe (default: ROOT/probe.json when present)");
  score->excludes(mode);
  auto* select = cmd->add_option("--select", flags->select, "Keep this many attention layers");
  auto* ratio = cmd->add_option("--ratio", flags->ratio,
                                "Keep this fraction of the layers, rounded half up (default 0.25)");
  cmd->add_option("--config", flags->config,
                  "The run's config.json / orig_config.json to build hypenet_config.json from");
  cmd->add_option("--out", flags->out,
                  "Output folder (default: the sweep root, or MODEL_rank/ for --results)");
  auto* export_file = cmd->add_option("--export", flags->export_file,
                                      "Also write the sweep's results to FILE in halo's format");
  auto* bootstrap = cmd->add_option(
      "--bootstrap", flags->bootstrap,
      "Ranking stability: N paired bootstrap replicates over the sweep's per-document outcomes");
  auto* seed = cmd->add_option("--seed", flags->seed, "Seed of the bootstrap's draws (default 0)");
  seed->needs(bootstrap);
  select->excludes(ratio);
  results->excludes(root)->excludes(model)->excludes(export_file);
  model->needs(root);

  cmd->callback([flags, root, results, select, ratio, export_file, score, probe, bootstrap] {
    select::RankOptions o;
    if (*root) {
      o.root = flags->root;
      o.model = flags->model;
    }
    if (*results) o.results_file = flags->results;
    if (!*root && !*results && !*probe) throw CLI::RequiredError("--results, --root with --model, or --probe");
    o.mode = select::parse_mode(flags->mode);
    if (*score) {
      const select::ScoreChoice choice = select::parse_score(flags->score);
      if (choice.mode) o.mode = *choice.mode;
      o.proxy = choice.proxy;
    }
    if (*probe) o.probe_file = flags->probe;
    if (*select) o.select = flags->select;
    if (*ratio) o.ratio = flags->ratio;
    if (!flags->config.empty()) o.config = flags->config;
    if (!flags->out.empty()) o.out = flags->out;
    if (*export_file) o.export_file = flags->export_file;
    if (*bootstrap) {
      o.bootstrap = flags->bootstrap;
      o.seed = flags->seed;
    }
    const select::RankRun run = select::run_rank(o);
    std::fputs(run.printed.c_str(), stdout);
  });
}

}  // namespace halo::cli
