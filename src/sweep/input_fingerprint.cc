#include "sweep/input_fingerprint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/mapped_file.h"

namespace halo::sweep {

void InputFingerprint::mix(std::string_view bytes) {
  // FNV-1a over the bytes, then the length, so field boundaries count.
  for (unsigned char c : bytes) {
    state_ ^= c;
    state_ *= 0x100000001b3ull;
  }
  uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) {
    state_ ^= (n >> (8 * i)) & 0xffu;
    state_ *= 0x100000001b3ull;
  }
}

void InputFingerprint::add_text(std::string_view label, std::string_view text) {
  mix(label);
  mix(text);
}

void InputFingerprint::add_file(const std::filesystem::path& path) {
  mix(path.filename().string());
  mix(read_file(path));
}

void InputFingerprint::add_weights(const std::filesystem::path& path) {
  MappedFile file(path);
  auto bytes = file.bytes();
  mix(path.filename().string());
  mix(std::to_string(bytes.size()));
  auto view = [&](size_t begin, size_t size) {
    return std::string_view(reinterpret_cast<const char*>(bytes.data()) + begin, size);
  };
  uint64_t header = 0;
  if (bytes.size() >= 8) std::memcpy(&header, bytes.data(), 8);
  size_t header_end = size_t(std::min<uint64_t>(bytes.size(), 8 + header));
  mix(view(0, header_end));
  constexpr size_t kWindow = 64 * 1024, kWindows = 16;
  size_t data = bytes.size() - header_end;
  for (size_t i = 0; i < kWindows && data > 0; ++i) {
    size_t begin = header_end + (data > kWindow ? (data - kWindow) * i / (kWindows - 1) : 0);
    mix(view(begin, std::min(kWindow, bytes.size() - begin)));
  }
}

void InputFingerprint::add_tree(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) fail("{}: cannot list: {}", dir.string(), ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    mix(std::filesystem::relative(f, dir).string());
    if (f.extension() == ".safetensors") {
      add_weights(f);
    } else {
      add_file(f);
    }
  }
}

std::string InputFingerprint::hex() const { return fmt::format("{:016x}", state_); }

}  // namespace halo::sweep
