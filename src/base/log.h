// Warnings and notes for the user, on stderr, one line each.
#pragma once

#include <fmt/format.h>

#include <cstdio>

namespace halo {

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  std::fprintf(stderr, "warning: %s\n", fmt::format(format, std::forward<Args>(args)...).c_str());
}

template <typename... Args>
void note(fmt::format_string<Args...> format, Args&&... args) {
  std::fprintf(stderr, "%s\n", fmt::format(format, std::forward<Args>(args)...).c_str());
}

}  // namespace halo
