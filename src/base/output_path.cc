#include "base/output_path.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace halo {

namespace {

namespace fs = std::filesystem;

// The file type of `p` without following a final symlink's target errors into exceptions.
fs::file_status status_of(const fs::path& p, const fs::path& named, std::string_view what) {
  std::error_code ec;
  fs::file_status st = fs::status(p, ec);
  if (ec && st.type() != fs::file_type::not_found) {
    fail("{}: {}: cannot access {}: {}", named.string(), what, p.string(), ec.message());
  }
  return st;
}

// The nearest ancestor of `path` (excluding `path`) that exists must be a writable directory.
void check_existing_ancestor(const fs::path& path, std::string_view what) {
  fs::path dir = fs::absolute(path).lexically_normal().parent_path();
  while (status_of(dir, path, what).type() == fs::file_type::not_found && dir.has_relative_path()) {
    dir = dir.parent_path();
  }
  const fs::file_status st = status_of(dir, path, what);
  if (st.type() == fs::file_type::not_found) fail("{}: {}: no existing folder above it", path.string(), what);
  if (st.type() != fs::file_type::directory) {
    fail("{}: {}: {} is a file, not a directory", path.string(), what, dir.string());
  }
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    fail("{}: {}: cannot write in {}: {}", path.string(), what, dir.string(), std::strerror(errno));
  }
}

}  // namespace

void check_writable_file(const fs::path& path, std::string_view what) {
  if (path.empty()) fail("{}: empty path", what);
  const fs::file_status st = status_of(path, path, what);
  if (st.type() == fs::file_type::directory) fail("{}: {} names a directory, not a file", path.string(), what);
  if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular) {
    fail("{}: {} names something that is not a regular file", path.string(), what);
  }
  // Replacing a file (atomically) needs the right to write in its directory, not in the file.
  check_existing_ancestor(path, what);
}

void check_writable_dir(const fs::path& path, std::string_view what) {
  if (path.empty()) fail("{}: empty path", what);
  const fs::file_status st = status_of(path, path, what);
  if (st.type() == fs::file_type::not_found) {
    check_existing_ancestor(path, what);
    return;
  }
  if (st.type() != fs::file_type::directory) fail("{}: {} must be a directory, but it is a file", path.string(), what);
  if (::faccessat(AT_FDCWD, path.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    fail("{}: {}: cannot write in it: {}", path.string(), what, std::strerror(errno));
  }
}

void check_output_files(std::initializer_list<OutputFile> files) {
  for (auto a = files.begin(); a != files.end(); ++a) {
    if (a->path.empty()) continue;
    check_writable_file(a->path, a->flag);
    for (auto b = files.begin(); b != a; ++b) {
      if (!b->path.empty() && same_path(a->path, b->path)) {
        fail("{}: named by both {} and {}; each output needs its own file", a->path.string(), b->flag, a->flag);
      }
    }
  }
}

bool path_is_within(const fs::path& inner, const fs::path& outer) {
  if (inner.empty() || outer.empty()) return false;  // no path names no place
  auto resolved = [](const fs::path& p) {
    std::error_code ec;
    fs::path r = fs::weakly_canonical(fs::absolute(p), ec);
    if (ec) r = fs::absolute(p);
    r = r.lexically_normal();
    return r.has_filename() || r == r.root_path() ? r : r.parent_path();  // drop a trailing "/"
  };
  const fs::path relative = resolved(inner).lexically_relative(resolved(outer));
  return !relative.empty() && *relative.begin() != "..";
}

bool same_path(const fs::path& a, const fs::path& b) { return path_is_within(a, b) && path_is_within(b, a); }

}  // namespace halo
