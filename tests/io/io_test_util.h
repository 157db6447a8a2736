// Helpers shared by the io tests: scratch directories and checks on halo::Error messages.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace halo::io::test {

// A fresh directory per test, removed afterwards (names include the pid so parallel ctest runs
// of different tests never share one).
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (std::string("halo_io_") + info->test_suite_name() + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), std::streamsize(text.size()));
}

// A safetensors file assembled by hand: `header_len` overrides the length prefix.
inline void write_raw_safetensors(const std::filesystem::path& path, const std::string& header,
                                  const std::string& data, uint64_t header_len) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &header_len, 8);
  write_text(path, bytes + header + data);
}

inline void write_raw_safetensors(const std::filesystem::path& path, const std::string& header,
                                  const std::string& data) {
  write_raw_safetensors(path, header, data, header.size());
}

// Runs `f` and checks it throws a one-line halo::Error containing every needle.
template <typename F>
::testing::AssertionResult fails_with(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
  } catch (const halo::Error& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) {
      return ::testing::AssertionFailure() << "message spans several lines: " << message;
    }
    for (const std::string& needle : needles) {
      if (message.find(needle) == std::string::npos) {
        return ::testing::AssertionFailure() << "message lacks '" << needle << "': " << message;
      }
    }
    return ::testing::AssertionSuccess() << message;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-halo exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "no error was thrown";
}

}  // namespace halo::io::test
