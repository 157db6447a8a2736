// Atomic file output: results are written to a temporary file in the same directory, flushed to
// disk and renamed over the target, so a killed run never leaves a half-written result behind.
// New files get mode 0666 & ~umask and missing directories 0777 & ~umask, as with open/mkdir.
#pragma once

#include <filesystem>
#include <string_view>

namespace halo {

void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Reads a whole file; a missing or unreadable file, or a directory, is a halo::Error naming it.
std::string read_file(const std::filesystem::path& path);

}  // namespace halo
