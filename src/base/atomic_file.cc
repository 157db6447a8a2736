#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
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

std::filesystem::path folder_of(const std::filesystem::path& path) {
  return path.parent_path().empty() ? "." : path.parent_path();
}

// Writes `content` to a new temporary file beside `path` and flushes it; returns its name.
std::string write_temporary(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path dir = folder_of(path);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("{}: cannot create directory: {}", dir.string(), ec.message());
  std::string tmp = (dir / ("." + path.filename().string() + ".tmpXXXXXX")).string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail("{}: cannot create temporary file: {}", path.string(), std::strerror(errno));
  try {
    // mkstemp creates 0600; the file gets the mode the umask intends (file_mode.h).
    if (::fchmod(fd, new_file_mode()) != 0) fail("{}: cannot set permissions: {}", path.string(), std::strerror(errno));
    write_all(fd, content, path);
    if (::fsync(fd) != 0) fail("{}: fsync failed: {}", path.string(), std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  return tmp;
}

// Makes renames in `dir` durable.
void sync_folder(const std::filesystem::path& dir) {
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  const std::string tmp = write_temporary(path, content);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail("{}: cannot rename temporary file into place: {}", path.string(), std::strerror(err));
  }
  sync_folder(folder_of(path));
}

void write_files_atomic(const std::vector<FileWrite>& files) {
  struct Staged {
    std::filesystem::path target;
    std::string temp;                  // the new content, until renamed
    bool existed = false;              // something was at the target before
    std::string backup;                // a hard link to the earlier file, to put it back
    std::optional<std::string> saved;  // or its content, where hard links are not available
  };
  std::vector<Staged> staged;
  auto discard = [&] {
    for (const Staged& s : staged) {
      ::unlink(s.temp.c_str());  // already renamed: gone, nothing to remove
      if (!s.backup.empty()) ::unlink(s.backup.c_str());
    }
  };
  try {
    for (const FileWrite& f : files) staged.push_back({f.path, write_temporary(f.path, f.content)});
    for (Staged& s : staged) {
      struct stat st{};
      if (::lstat(s.target.c_str(), &st) != 0) continue;  // a new file
      s.existed = true;
      if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;  // the rename will refuse it
      const std::string backup = s.temp + ".old";
      if (::link(s.target.c_str(), backup.c_str()) == 0) {
        s.backup = backup;
      } else {
        s.saved = read_file(s.target);
      }
    }
  } catch (...) {
    discard();
    throw;
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    if (::rename(staged[i].temp.c_str(), staged[i].target.c_str()) == 0) continue;
    const int err = errno;
    for (std::size_t j = 0; j < i; ++j) {  // undo the renames done so far
      Staged& s = staged[j];
      if (!s.backup.empty()) {
        // Should putting it back fail, the earlier file stays under the backup name.
        ::rename(s.backup.c_str(), s.target.c_str());
        s.backup.clear();
      } else if (s.saved) {
        try {
          write_file_atomic(s.target, *s.saved);
        } catch (const Error&) {
          // Nothing better to do: the error below still reports the failure.
        }
      } else if (!s.existed) {
        ::unlink(s.target.c_str());
      }
    }
    discard();
    fail("{}: cannot rename temporary file into place: {}; no output file was changed",
         staged[i].target.string(), std::strerror(err));
  }
  discard();  // the backups
  std::vector<std::filesystem::path> folders;
  for (const Staged& s : staged) {
    const std::filesystem::path dir = folder_of(s.target);
    if (std::find(folders.begin(), folders.end(), dir) == folders.end()) folders.push_back(dir);
  }
  for (const auto& dir : folders) sync_folder(dir);
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
