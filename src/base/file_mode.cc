#include "base/file_mode.h"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <string>

namespace halo {

namespace {

// "Umask:\t0022" in /proc/self/status (an octal number), or nothing.
std::optional<mode_t> umask_from_proc() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Umask:", 0) != 0) continue;
    try {
      return mode_t(std::stoul(line.substr(6), nullptr, 8) & 0777);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

mode_t process_umask() {
  static const mode_t mask = [] {
    if (std::optional<mode_t> m = umask_from_proc()) return *m;
    const mode_t old = ::umask(022);
    ::umask(old);
    return old;
  }();
  return mask;
}

mode_t new_file_mode() { return mode_t(0666) & ~process_umask(); }

}  // namespace halo
