#include "probe/calibration_text.h"

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/sha256.h"
#include "text/utf8.h"

namespace halo::probe {

CalibrationText read_calibration_text(const std::filesystem::path& path, const eval::Codec& codec,
                                      int64_t chunk_tokens, int64_t max_chunks) {
  HALO_CHECK(chunk_tokens >= 2, "--chunk-tokens must be at least 2 (a chunk predicts its tokens after the first)");
  HALO_CHECK(max_chunks >= 1, "--text-chunks must be at least 1");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("{}: calibration corpus not found (--calibration)", path.string());
  const std::string bytes = read_file(path);
  if (const size_t valid = text::valid_utf8_prefix(bytes); valid != bytes.size()) {
    fail("{}: not UTF-8 text (invalid byte at offset {})", path.string(), valid);
  }
  if (bytes.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {
    fail("{}: the calibration corpus is empty", path.string());
  }
  const std::vector<int32_t> ids = codec.encode(bytes, /*add_special_tokens=*/false);
  CalibrationText out;
  out.sha256 = sha256_hex(bytes);
  out.chunks_in_file = int64_t(ids.size()) / chunk_tokens;
  if (out.chunks_in_file == 0) {
    fail("{}: {} tokens, fewer than one chunk of {} (--chunk-tokens)", path.string(), ids.size(), chunk_tokens);
  }
  const int64_t count = std::min(max_chunks, out.chunks_in_file);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t chunk = i * out.chunks_in_file / count;
    const auto begin = ids.begin() + chunk * chunk_tokens;
    out.chunks.emplace_back(begin, begin + chunk_tokens);
  }
  return out;
}

}  // namespace halo::probe
