// A fingerprint of the files a sweep reads, taken before anything runs, so a restarted sweep can
// tell finished variants (same fingerprint) from stale ones without re-evaluating them.
// Weights are sampled, not read whole: the safetensors header (names, shapes, offsets) plus 16
// evenly spaced 64 KiB windows of each weights file, which catches a retrained checkpoint of the
// same shape while costing milliseconds on multi-GB files. Config and data files are read whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace halo::sweep {

class InputFingerprint {
 public:
  void add_text(std::string_view label, std::string_view text);
  void add_file(const std::filesystem::path& path);      // whole content
  void add_weights(const std::filesystem::path& path);   // header + sampled windows
  // Every regular file below `dir` (sorted): weights sampled, anything else whole.
  void add_tree(const std::filesystem::path& dir);
  std::string hex() const;

 private:
  void mix(std::string_view bytes);
  uint64_t state_ = 0xcbf29ce484222325ull;
};

}  // namespace halo::sweep
