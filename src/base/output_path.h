// Output locations checked before the work that fills them: a results file named on the command
// line must be writable before an hours-long evaluation starts, not after it. Nothing is created
// here; write_file_atomic creates missing folders when it writes.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string_view>

namespace halo {

// A file that write_file_atomic will later write at `path`: `path` is not a directory (an existing
// file is fine: it is replaced), and the nearest folder of it that exists is a writable directory
// (not a file). `what` names the flag ("--results-json") in the one-line error.
void check_writable_file(const std::filesystem::path& path, std::string_view what);

// A directory that halo will create if needed and write files into: `path` is a writable
// directory, or does not exist and its nearest existing ancestor is a writable directory.
void check_writable_dir(const std::filesystem::path& path, std::string_view what);

// The files one command writes, by flag: check_writable_file for each non-empty path, and no two
// flags may name one file (the later write would replace the earlier one).
struct OutputFile {
  std::string_view flag;
  std::filesystem::path path;
};
void check_output_files(std::initializer_list<OutputFile> files);

// Whether `inner` is `outer` or lies inside it, after resolving symlinks and "..": the paths
// need not exist (their existing prefix is resolved).
bool path_is_within(const std::filesystem::path& inner, const std::filesystem::path& outer);

// Whether two paths name the same place, in the same sense.
bool same_path(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace halo
