#include "apps/halo/commands.h"

namespace halo::cli {

void register_commands(CLI::App& app) {
  add_info_command(app);
  add_score_command(app);
  add_generate_command(app);
  add_convert_command(app);
  add_tokenize_command(app);
  add_rank_command(app);
  add_eval_command(app);
  add_sweep_command(app);
  add_probe_command(app);
  add_validate_command(app);
  add_lm_eval_diff_command(app);
}

}  // namespace halo::cli
