// Each `halo` subcommand lives in its own cmd_<name>.cc and registers itself on the root app here.
// A command's callback throws halo::Error on bad input; main() prints it as one line and exits 1.
#pragma once

#include <CLI/CLI.hpp>

namespace halo::cli {

// Adds every command below to the root app (commands.cc).
void register_commands(CLI::App& app);

void add_info_command(CLI::App& app);
void add_score_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_rank_command(CLI::App& app);

}  // namespace halo::cli
