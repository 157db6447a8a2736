// A file written by appending records, each made durable (fsync) before append() returns, so a run
// killed at any moment keeps every record that append() had returned for. New files get the
// permissions the user's umask allows (open(2) with 0666).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace halo {

class AppendFile {
 public:
  // Opens (creating) `path` and cuts it to its first `keep_bytes` bytes: whatever follows (a record
  // torn by a kill, or content being replaced) is dropped.
  AppendFile(const std::filesystem::path& path, uint64_t keep_bytes);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void append(std::string_view bytes);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace halo
