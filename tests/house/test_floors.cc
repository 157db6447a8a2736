// The floors of libhalo are a rule the build checks: a file under src/<module>/ may include only
// headers of its own floor or of the floors below it (docs/design.md, "Layout of the code").
// base → io/text → model/backend → runtime → eval → sweep/select/probe → validate/apps. validate
// joins sweep and select (which may not include each other) beside the CLI, on the top floor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

namespace {

const std::map<std::string, int> kFloors = {
    {"base", 1}, {"io", 2}, {"text", 2}, {"model", 3}, {"backend", 3}, {"runtime", 4},
    {"eval", 5}, {"sweep", 6}, {"select", 6}, {"probe", 6}, {"validate", 7}, {"apps", 7}};

// Every `#include "module/..."` of every source file under src/, as (file, line, module).
struct Include {
  std::string file;
  int line;
  std::string from, to;
};

// The module of a line `#include "module/..."`, or "" for any other line. Parsed by hand:
// std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
std::string included_module(const std::string& line) {
  size_t pos = line.find_first_not_of(" \t");
  if (pos == std::string::npos || line[pos] != '#') return "";
  pos = line.find_first_not_of(" \t", pos + 1);
  if (pos == std::string::npos || line.compare(pos, 7, "include") != 0) return "";
  pos = line.find_first_not_of(" \t", pos + 7);
  if (pos == std::string::npos || line[pos] != '"') return "";
  const size_t start = ++pos;
  while (pos < line.size() && ((line[pos] >= 'a' && line[pos] <= 'z') || line[pos] == '_')) ++pos;
  if (pos == start || pos >= line.size() || line[pos] != '/') return "";
  return line.substr(start, pos - start);
}

std::vector<Include> project_includes(const std::filesystem::path& src) {
  std::vector<Include> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".h" && ext != ".cc" && ext != ".cu" && ext != ".cuh") continue;
    const std::string from = std::filesystem::relative(entry.path(), src).begin()->string();
    std::ifstream in(entry.path());
    std::string text;
    int line = 0;
    while (std::getline(in, text)) {
      ++line;
      const std::string module = included_module(text);
      if (!module.empty()) out.push_back({entry.path().string(), line, from, module});
    }
  }
  return out;
}

TEST(Floors, NoFloorIncludesAHigherOne) {
  const std::filesystem::path src = std::filesystem::path(HALO_SOURCE_DIR) / "src";
  auto includes = project_includes(src);
  ASSERT_GT(includes.size(), 100u);  // the scan found the code
  for (const Include& inc : includes) {
    ASSERT_TRUE(kFloors.contains(inc.from)) << inc.file << ": module '" << inc.from << "' has no floor; add it";
    ASSERT_TRUE(kFloors.contains(inc.to)) << inc.file << ":" << inc.line << ": includes unknown module '" << inc.to << "'";
    EXPECT_LE(kFloors.at(inc.to), kFloors.at(inc.from))
        << inc.file << ":" << inc.line << ": " << inc.from << " (floor " << kFloors.at(inc.from) << ") includes "
        << inc.to << " (floor " << kFloors.at(inc.to) << ")";
    // Modules of one upper floor stay apart: sweep, select and probe share files only through eval.
    if (kFloors.at(inc.from) == 6 && kFloors.at(inc.to) == 6) {
      EXPECT_EQ(inc.from, inc.to) << inc.file << ":" << inc.line << ": " << inc.from << " includes " << inc.to;
    }
  }
}

// The check itself: an upward include in a scratch tree is caught.
TEST(Floors, CatchesAnUpwardInclude) {
  const auto dir = std::filesystem::temp_directory_path() / ("halo_floors_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "base");
  std::ofstream(dir / "base" / "x.h") << "#include \"eval/runner.h\"\n";
  auto includes = project_includes(dir);
  ASSERT_EQ(includes.size(), 1u);
  EXPECT_GT(kFloors.at(includes[0].to), kFloors.at(includes[0].from));
  std::filesystem::remove_all(dir);
}

}  // namespace
