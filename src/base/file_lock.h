// An exclusive advisory lock on a file (flock), held for the lifetime of the object, so two
// processes never write one sweep variant at the same time. Taking it never blocks: a lock held by
// someone else is an error that says so.
#pragma once

#include <filesystem>
#include <string>

namespace halo {

class FileLock {
 public:
  // Creates `path` if needed and locks it. `what` names the locked thing in the error message.
  FileLock(const std::filesystem::path& path, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace halo
