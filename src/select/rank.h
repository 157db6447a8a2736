// `halo rank` as a library call: load a sweep's results, score and rank the layers, choose the
// attention layers, and write every output (docs/rank.md). The CLI only parses flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "select/ranking.h"

namespace halo::select {

inline constexpr double kDefaultRatio = 0.25;

struct RankOptions {
  // The results: a sweep root with the model's folder name (reference layout), or our results file.
  std::optional<std::filesystem::path> root;
  std::string model;
  std::optional<std::filesystem::path> results_file;

  Mode mode = Mode::halo;
  // --score with a probe proxy ("kl-text", ...): the ranking uses probe.json's values and the sweep
  // (root/results) becomes optional. Empty: the mode's score.
  std::string proxy;
  // --probe FILE; without it ROOT/probe.json is used when --root holds one. With a sweep, the
  // report compares every proxy with the sweep's score.
  std::optional<std::filesystem::path> probe_file;
  std::optional<int> select;    // keep this many layers
  std::optional<double> ratio;  // or this fraction of the layers (default kDefaultRatio)
  std::optional<std::filesystem::path> config;       // the run's config for hypenet_config.json
  std::optional<std::filesystem::path> out;          // output folder (docs/rank.md for the default)
  std::optional<std::filesystem::path> export_file;  // also write the results in our format
  std::optional<int> bootstrap;  // replicates of the ranking-stability bootstrap (select/bootstrap.h)
  std::uint64_t seed = 0;        // its seed
};

struct RankRun {
  Ranking ranking;
  std::filesystem::path out_dir;
  std::vector<std::filesystem::path> written;  // every file written, in order
  std::string printed;                          // what `halo rank` prints on stdout
};

RankRun run_rank(const RankOptions& options);

}  // namespace halo::select
