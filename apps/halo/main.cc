// halo: attention-layer selection for hybrid attention/linear-attention models (HALO).
#include <cstdio>
#include <exception>
#include <filesystem>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "base/file_mode.h"

int main(int argc, char** argv) {
  // Read the umask while this is the only thread (base/file_mode.h says why).
  halo::process_umask();
  CLI::App app{"halo: choose which attention layers to keep when distilling a Transformer into a "
               "hybrid of attention and lightning-attention layers (HALO)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");
  halo::cli::register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other error; --help explains the flags.
    std::fprintf(stderr, "halo: error: %s (see --help)\n", e.what());
    return e.get_exit_code() == 0 ? 2 : e.get_exit_code();
  } catch (const halo::cli::ExitStatus& status) {
    return status.code;
  } catch (const halo::Error& e) {
    std::fprintf(stderr, "halo: error: %s\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path that cannot be resolved (a symlink loop, no permission) where a check used the
    // throwing std::filesystem calls: still one line naming the path.
    std::fprintf(stderr, "halo: error: %s: %s\n", e.path1().string().c_str(), e.code().message().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "halo: internal error: %s\n", e.what());
    return 3;
  }
  return 0;
}
