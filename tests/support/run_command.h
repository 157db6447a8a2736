// Runs the halo binary (or any command) for end-to-end tests and captures what it printed.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace halo::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program` with `args` (no shell: arguments pass through untouched); with `umask`, the child
// runs under that file-creation mask.
CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          std::optional<mode_t> umask = std::nullopt);

}  // namespace halo::testing
