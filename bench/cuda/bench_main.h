// The main() of a CUDA benchmark: runs it, and turns an error (no GPU, a bad flag, a missing
// model) into one line on stderr and exit status 1.
#pragma once

#include <fmt/format.h>

#include <exception>

namespace halo::bench {

inline int run_bench(const char* name, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", name, e.what());
    return 1;
  }
}

}  // namespace halo::bench
