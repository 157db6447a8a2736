// libFuzzer entry point (clang only: -DHALO_LIBFUZZER=ON builds halo_libfuzzer). The target comes
// from HALO_FUZZ_TARGET; `halo_fuzz --write-seeds DIR` writes a starting corpus per target:
//   HALO_FUZZ_TARGET=tokenizer_json ./halo_libfuzzer corpus/tokenizer_json
// Only halo::Error is an accepted outcome: any other exception escapes and libFuzzer reports it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "base/error.h"
#include "targets.h"

namespace {

struct Session {
  const halo::fuzz::Target* target = nullptr;
  std::filesystem::path scratch;
  Session() {
    const char* name = std::getenv("HALO_FUZZ_TARGET");
    target = name ? halo::fuzz::find_target(name) : nullptr;
    if (!target) {
      std::fprintf(stderr, "halo_libfuzzer: set HALO_FUZZ_TARGET to a target of `halo_fuzz --list`\n");
      std::abort();
    }
    char dir[] = "/tmp/halo_libfuzzer_XXXXXX";
    if (!::mkdtemp(dir)) std::abort();
    scratch = dir;
    if (target->prepare) target->prepare(scratch);
  }
  ~Session() {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Session session;
  try {
    session.target->run(std::string(reinterpret_cast<const char*>(data), size), session.scratch);
  } catch (const halo::Error&) {
  }
  return 0;
}
