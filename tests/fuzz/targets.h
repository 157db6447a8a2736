// The fuzz targets: one per parser of a file halo reads. Each takes the (mutated) bytes of one
// file, puts them where the parser reads them (most parsers take a path: a scratch folder holds the
// file, next to any fixed companions the target prepared), and runs the parser and what uses its
// result directly. The contract every target checks: the parser either succeeds or throws
// halo::Error with a one-line message — never another exception, a crash, a hang or UB.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace halo::fuzz {

struct Target {
  std::string name;
  std::string parser;  // what it exercises, for --list
  std::function<std::vector<std::string>()> seeds;
  // Writes fixed companion files into the scratch folder once, before the first input.
  std::function<void(const std::filesystem::path& scratch)> prepare;
  std::function<void(const std::string& input, const std::filesystem::path& scratch)> run;
  size_t iterations = 600;  // the CI budget (scaled by HALO_FUZZ_SCALE)
};

const std::vector<Target>& all_targets();
const Target* find_target(const std::string& name);

}  // namespace halo::fuzz
