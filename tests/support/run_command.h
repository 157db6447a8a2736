// Runs the halo binary (or any command) for end-to-end tests and captures what it printed.
#pragma once

#include <string>
#include <vector>

namespace halo::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program` with `args` (no shell: arguments pass through untouched).
CommandResult run_command(const std::string& program, const std::vector<std::string>& args);

}  // namespace halo::testing
