// Errors with context. Every user-facing failure is a halo::Error whose message is one line that
// names the file and the key/line at fault; the CLI prints it and exits non-zero.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace halo {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
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
