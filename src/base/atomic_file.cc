#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <string>

#include "base/error.h"
#include "base/file_mode.h"

namespace halo {

namespace {

void write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("{}: write failed: {}", path.string(), std::strerror(errno));
    }
    content.remove_prefix(size_t(n));
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("{}: cannot create directory: {}", dir.string(), ec.message());
  std::string tmp_template = (dir / ("." + path.filename().string() + ".tmpXXXXXX")).string();
  int fd = ::mkstemp(tmp_template.data());
  if (fd < 0) fail("{}: cannot create temporary file: {}", path.string(), std::strerror(errno));
  try {
    // mkstemp creates 0600; the file gets the mode the umask intends (file_mode.h).
    if (::fchmod(fd, new_file_mode()) != 0) fail("{}: cannot set permissions: {}", path.string(), std::strerror(errno));
    write_all(fd, content, path);
    if (::fsync(fd) != 0) fail("{}: fsync failed: {}", path.string(), std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp_template.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp_template.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp_template.c_str());
    fail("{}: cannot rename temporary file into place: {}", path.string(), std::strerror(err));
  }
  // Make the rename itself durable.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

std::string read_file(const std::filesystem::path& path) {
  // A directory opens fine as a stream and reads as nothing: say what it is instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail("{}: is a directory, not a file", path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", path.string(), std::strerror(errno));
  try {
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) fail("{}: read failed", path.string());
    return buffer.str();
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while reading it", path.string());
  }
}

}  // namespace halo
