#include "base/append_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace halo {

AppendFile::AppendFile(const std::filesystem::path& path, uint64_t keep_bytes) : path_(path) {
  std::error_code ec;
  if (!path.parent_path().empty()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) fail("{}: cannot create directory: {}", path.parent_path().string(), ec.message());
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) fail("{}: cannot open for writing: {}", path.string(), std::strerror(errno));
  if (::ftruncate(fd_, off_t(keep_bytes)) != 0 || ::lseek(fd_, off_t(keep_bytes), SEEK_SET) < 0) {
    int err = errno;
    ::close(fd_);
    fail("{}: cannot cut to {} bytes: {}", path.string(), keep_bytes, std::strerror(err));
  }
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("{}: write failed: {}", path_.string(), std::strerror(errno));
    }
    bytes.remove_prefix(size_t(n));
  }
  if (::fdatasync(fd_) != 0) fail("{}: fsync failed: {}", path_.string(), std::strerror(errno));
}

}  // namespace halo
