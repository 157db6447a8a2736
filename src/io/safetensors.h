// safetensors files: a little-endian u64 header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets}, then the raw data. Reading maps the file and hands out views; the
// header is validated completely before any view is made (bounds, overlaps, dtype/shape/size).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/mapped_file.h"

namespace halo::io {

enum class DType { F32, BF16, F16 };

size_t dtype_size(DType dtype);
// Tensor names come from untrusted files: control characters escaped (\xNN), so that an error
// message naming one stays on one line.
std::string printable(const std::string& s);
const char* dtype_name(DType dtype);  // "F32", "BF16", "F16" as in the safetensors header

// A tensor inside a mapped file. `file` names the file it came from, for error messages.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const uint8_t> bytes;
  std::filesystem::path file;

  int64_t numel() const;
  // Converts to fp32 (bf16/f16 widened exactly). Shape is not checked here.
  std::vector<float> to_float() const;
};

// One safetensors file, mapped and validated.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return file_->path(); }

 private:
  std::shared_ptr<MappedFile> file_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint: one file, or a sharded set listed by model.safetensors.index.json.
class TensorStore {
 public:
  // A directory holding model.safetensors or model.safetensors.index.json (+ shards).
  static TensorStore open_directory(const std::filesystem::path& dir);
  // A single .safetensors file.
  static TensorStore open_file(const std::filesystem::path& path);

  // The files the store reads, in the order they were opened (their tensors under the files' own keys).
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }

  const TensorView* find(const std::string& name) const;
  // Like find, but a missing tensor is a halo::Error naming `source()` and the key.
  const TensorView& get(const std::string& name) const;
  std::vector<std::string> names() const;
  // The directory or file this store was opened from (for messages).
  const std::filesystem::path& source() const { return source_; }

  // Adds (or replaces) an entry under a new name; used by key rewriting of Stage-1 checkpoints.
  void put(const std::string& name, const TensorView& view);
  void erase(const std::string& name);

 private:
  std::filesystem::path source_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorView> tensors_;
};

// A tensor to write: fp32 values converted to `dtype` on the way out.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const float> values;
};

// Writes one safetensors file atomically (tensors sorted by name, 8-byte aligned header).
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace halo::io
