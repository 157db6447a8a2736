// The deterministic fuzz driver CI runs (tests/fuzz/CMakeLists.txt registers one ctest per target):
//
//   halo_fuzz --target NAME [--iterations N] [--seed S]   run N mutated inputs (default: the target's
//                                                          budget × HALO_FUZZ_SCALE, seed 1)
//   halo_fuzz --target NAME --only I [--dump FILE]          rerun (or write out) the input of iteration I
//   halo_fuzz --list                                        the targets and their parsers
//   halo_fuzz --write-seeds DIR                             DIR/NAME/seed-K per target (a libFuzzer corpus)
//
// An input passes when the parser returns or throws halo::Error with a non-empty one-line message.
// Anything else — another exception type, a crash or sanitizer report, an input running longer than
// the watchdog — fails the run, naming the target and the iteration that reproduces it.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <typeinfo>

#include <unistd.h>

#include "base/error.h"
#include "mutator.h"
#include "targets.h"

// Under ASan a report ends the process without a signal: the death callback names the input.
#if defined(__SANITIZE_ADDRESS__) && __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#define HALO_FUZZ_DEATH_CALLBACK 1
#endif

namespace fs = std::filesystem;
using halo::fuzz::Target;

namespace {

// What a crash handler or the watchdog prints: which input was running.
char g_current[256] = "(no input yet)";

void say_current() {
  const char prefix[] = "halo_fuzz: the failing input: ";
  [[maybe_unused]] auto a = ::write(2, prefix, sizeof prefix - 1);
  [[maybe_unused]] auto b = ::write(2, g_current, std::strlen(g_current));
  [[maybe_unused]] auto c = ::write(2, "\n", 1);
}

void on_alarm(int) {
  const char text[] = "halo_fuzz: an input ran past the watchdog (a hang or a blow-up)\n";
  [[maybe_unused]] auto a = ::write(2, text, sizeof text - 1);
  say_current();
  ::_exit(3);
}

void on_fatal(int sig) {
  say_current();
  std::raise(sig);  // SA_RESETHAND: the default action now
}

int usage() {
  std::fprintf(stderr, "usage: halo_fuzz --target NAME [--iterations N] [--seed S] [--only I [--dump FILE]] | --list | --write-seeds DIR\n");
  return 2;
}

// One input through the target; "" when it passed, else why not.
std::string run_one(const Target& target, const std::string& input, const fs::path& scratch) {
  try {
    target.run(input, scratch);
    return "";
  } catch (const halo::Error& e) {
    const std::string message = e.what();
    if (message.empty()) return "halo::Error with an empty message";
    if (message.find('\n') != std::string::npos) return "halo::Error whose message is not one line: " + message;
    return "";
  } catch (const std::exception& e) {
    return std::string("an exception other than halo::Error (") + typeid(e).name() + "): " + e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string name, dump, seeds_dir;
  long long iterations = -1, only = -1;
  unsigned long long seed = 1;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (arg == "--target") name = value();
    else if (arg == "--iterations") iterations = std::stoll(value());
    else if (arg == "--seed") seed = std::stoull(value());
    else if (arg == "--only") only = std::stoll(value());
    else if (arg == "--dump") dump = value();
    else if (arg == "--write-seeds") seeds_dir = value();
    else if (arg == "--list") list = true;
    else return usage();
  }
  if (list) {
    for (const Target& t : halo::fuzz::all_targets()) std::printf("%-24s %zu  %s\n", t.name.c_str(), t.iterations, t.parser.c_str());
    return 0;
  }
  if (!seeds_dir.empty()) {
    for (const Target& t : halo::fuzz::all_targets()) {
      fs::create_directories(fs::path(seeds_dir) / t.name);
      size_t k = 0;
      for (const std::string& s : t.seeds()) {
        std::FILE* f = std::fopen((fs::path(seeds_dir) / t.name / ("seed-" + std::to_string(k++))).c_str(), "wb");
        if (!f) return 1;
        std::fwrite(s.data(), 1, s.size(), f);
        std::fclose(f);
      }
    }
    return 0;
  }
  const Target* target = halo::fuzz::find_target(name);
  if (!target) {
    std::fprintf(stderr, "halo_fuzz: unknown target '%s' (--list shows them)\n", name.c_str());
    return 2;
  }
  if (iterations < 0) {
    double scale = 1;
    if (const char* s = std::getenv("HALO_FUZZ_SCALE")) scale = std::atof(s);
    iterations = static_cast<long long>(static_cast<double>(target->iterations) * scale);
  }

  const halo::fuzz::Mutator mutator(target->seeds());
  if (!dump.empty()) {
    if (only < 0) return usage();
    const std::string input = mutator.input(seed, static_cast<uint64_t>(only));
    std::FILE* f = std::fopen(dump.c_str(), "wb");
    if (!f) return 1;
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
    return 0;
  }

  char scratch_template[] = "/tmp/halo_fuzz_XXXXXX";
  if (const char* made = ::mkdtemp(scratch_template); made == nullptr) {
    std::perror("halo_fuzz: mkdtemp");
    return 1;
  }
  const fs::path scratch = scratch_template;
  if (target->prepare) target->prepare(scratch);

  std::signal(SIGALRM, on_alarm);
  // On an alternate stack, so that a stack overflow (deep recursion) is reported too.
  static char alt_stack[1 << 16];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof alt_stack;
  ::sigaltstack(&ss, nullptr);
  struct sigaction fatal {};
  fatal.sa_handler = on_fatal;
  fatal.sa_flags = SA_ONSTACK | SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) ::sigaction(sig, &fatal, nullptr);
#ifdef HALO_FUZZ_DEATH_CALLBACK
  __sanitizer_set_death_callback(say_current);
#endif

  // The seeds themselves first, then the mutated inputs.
  int failures = 0;
  auto check = [&](const std::string& input, const std::string& label) {
    std::snprintf(g_current, sizeof g_current, "%s, %s (halo_fuzz --target %s --seed %llu)", target->name.c_str(),
                  label.c_str(), target->name.c_str(), seed);
    ::alarm(60);  // generous: the sanitizer build is slow, and no single input should come near this
    const std::string problem = run_one(*target, input, scratch);
    ::alarm(0);
    if (!problem.empty()) {
      std::fprintf(stderr, "halo_fuzz: %s: %s\n", g_current, problem.c_str());
      ++failures;
    }
  };
  size_t passed_seeds = 0;
  if (only < 0) {
    for (const std::string& s : mutator.seeds()) check(s, "seed " + std::to_string(passed_seeds++));
  }
  const long long first = only >= 0 ? only : 0, last = only >= 0 ? only + 1 : iterations;
  for (long long i = first; i < last && failures < 10; ++i) {
    check(mutator.input(seed, static_cast<uint64_t>(i)), "--only " + std::to_string(i));
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  std::fprintf(stderr, "halo_fuzz: %s: %lld inputs, %d failing\n", target->name.c_str(), last - first, failures);
  return failures == 0 ? 0 : 1;
}
