#include "apps/halo/commands.h"

namespace halo::cli {

void register_commands(CLI::App& app) {
  // Commands are added here as their floors land (one line each).
  add_tokenize_command(app);
  add_rank_command(app);
  add_eval_command(app);
}

}  // namespace halo::cli
