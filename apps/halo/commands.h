// Each `halo` subcommand lives in its own cmd_<name>.cc and registers itself on the root app here.
// A command's callback throws halo::Error on bad input; main() prints it as one line and exits 1.
// A command whose exit status carries an answer (lm-eval-diff: 1 = the inputs differ) throws
// ExitStatus after printing; main() exits with that status and prints nothing more.
#pragma once

#include <CLI/CLI.hpp>

namespace halo::cli {

struct ExitStatus {
  int code = 0;
};

// Adds every command below to the root app (commands.cc).
void register_commands(CLI::App& app);

void add_info_command(CLI::App& app);
void add_score_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_probe_command(CLI::App& app);
void add_rank_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_lm_eval_diff_command(CLI::App& app);

}  // namespace halo::cli
