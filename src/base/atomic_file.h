// Atomic file output: results are written to a temporary file in the same directory, flushed to
// disk and renamed over the target, so a killed run never leaves a half-written result behind.
// New files get mode 0666 & ~umask and missing directories 0777 & ~umask, as with open/mkdir.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace halo {

void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Several files written all or none. Every content first goes to a temporary file beside its
// target and is flushed to disk; only then are they renamed into place, one after the other. A
// failure before the renames (a full disk) leaves every target as it was; a failed rename (the
// target is a folder) puts back the files already replaced and removes the ones that did not
// exist before. Either way no temporary file is left, and the halo::Error names the file that
// failed and says that no output changed.
struct FileWrite {
  std::filesystem::path path;
  std::string content;
};
void write_files_atomic(const std::vector<FileWrite>& files);

// Reads a whole file; a missing or unreadable file, or a directory, is a halo::Error naming it.
std::string read_file(const std::filesystem::path& path);

}  // namespace halo
