// Errors with context. Every user-facing failure is a halo::Error whose message is one line that
// names the file and the key/line at fault; the CLI prints it and exits non-zero.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace halo {

// The message is one line whatever it quotes: a line break or other control character taken from
// an input (a task name, a config value) is written as an escape (\n, \r, \xNN), so the CLI's
// one-line error stays one line and a log reader cannot be fed fake lines.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(one_line(message)) {}

  static std::string one_line(const std::string& message) {
    std::string out;
    out.reserve(message.size());
    for (char c : message) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
        out += fmt::format("\\x{:02x}", u);
      } else {
        out += c;
      }
    }
    return out;
  }
};

// Throws halo::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Checks a condition that depends on user input (files, flags); throws halo::Error when false.
#define HALO_CHECK(cond, ...)              \
  do {                                     \
    if (!(cond)) ::halo::fail(__VA_ARGS__); \
  } while (0)

}  // namespace halo
