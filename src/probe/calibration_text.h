// The generic-text calibration corpus of `halo probe` (docs/probe.md): a plain UTF-8 text file,
// tokenized whole (no special tokens added; special-token text inside it, such as an end-of-text
// marker, is matched as the tokenizer always does) and cut into consecutive chunks of exactly
// `chunk_tokens` tokens; the tail shorter than a chunk is dropped. When the file holds more chunks
// than asked for, the chunks used are spread evenly over it (chunk ⌊i·available/count⌋ for
// i = 0..count−1), so a corpus of many documents is not represented by its first ones alone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "eval/codec.h"

namespace halo::probe {

struct CalibrationText {
  std::vector<std::vector<int32_t>> chunks;  // the chosen chunks, in file order
  int64_t chunks_in_file = 0;
  std::string sha256;  // of the file's bytes
};

// Errors (one line naming the file): missing or unreadable, not UTF-8 (with the byte offset),
// empty, or shorter than one chunk.
CalibrationText read_calibration_text(const std::filesystem::path& path, const eval::Codec& codec,
                                      int64_t chunk_tokens, int64_t max_chunks);

}  // namespace halo::probe
