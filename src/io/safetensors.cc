#include "io/safetensors.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "base/atomic_file.h"
#include "base/bf16.h"
#include "base/error.h"
#include "base/json_nesting.h"

namespace halo::io {

// The format is little-endian on disk; views hand out the mapped bytes as they are.
static_assert(std::endian::native == std::endian::little, "halo assumes a little-endian host");

namespace {

using nlohmann::json;

// Real headers are a few hundred KB; anything this large is corruption, not a model.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

std::optional<DType> parse_dtype(const std::string& name) {
  if (name == "F32") return DType::F32;
  if (name == "BF16") return DType::BF16;
  if (name == "F16") return DType::F16;
  return std::nullopt;
}

// A non-negative JSON integer, or nullopt for anything else (floats, negatives, strings).
std::optional<uint64_t> as_u64(const json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return uint64_t(j.get<int64_t>());
  return std::nullopt;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Parses JSON text and rejects an object that names a key twice: nlohmann (like Python's json)
// would silently keep the last value, so two entries for one tensor would load whichever came last.
// Returns the duplicated key through `duplicate` (empty when there is none).
template <typename Iterator>
json parse_without_duplicate_keys(Iterator begin, Iterator end, std::string& duplicate) {
  std::vector<std::set<std::string>> open_objects;
  auto track = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) duplicate = key;
    }
    return true;
  };
  return json::parse(begin, end, track);
}

// Whether `path` exists; a path that cannot be resolved (a symlink loop, no permission) is an
// error saying so rather than "does not exist".
bool exists_or_fail(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found) {
    // A dangling symlink is "not found" too: say where it points.
    if (std::filesystem::is_symlink(std::filesystem::symlink_status(path, ec))) {
      fail("{}: is a symlink to {}, which does not exist", path.string(),
           std::filesystem::read_symlink(path, ec).string());
    }
    return false;
  }
  if (ec) {
    if (ec == std::errc::too_many_symbolic_link_levels) {
      fail("{}: cannot be resolved: it is a symlink loop ({})", path.string(), ec.message());
    }
    fail("{}: cannot be resolved: {}", path.string(), ec.message());
  }
  return true;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += char(c);
    }
  }
  return out;
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 4;
    case DType::BF16:
    case DType::F16:
      return 2;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::BF16:
      return "BF16";
    case DType::F16:
      return "F16";
  }
  return "?";
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<float> TensorView::to_float() const {
  size_t count = bytes.size() / dtype_size(dtype);
  std::vector<float> out(count);
  const uint8_t* src = bytes.data();
  switch (dtype) {
    case DType::F32:
      if (count > 0) std::memcpy(out.data(), src, count * sizeof(float));
      break;
    case DType::BF16:
    case DType::F16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits = 0;
        std::memcpy(&bits, src + 2 * i, 2);
        out[i] = dtype == DType::BF16 ? bf16_to_float(bits) : f16_to_float(bits);
      }
      break;
  }
  return out;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(std::make_shared<MappedFile>(path)) {
  const std::string file = path.string();
  std::span<const uint8_t> all = file_->bytes();
  if (all.size() < 8) fail("{}: too short for a safetensors file ({} bytes)", file, all.size());
  uint64_t header_len = read_u64_le(all.data());
  if (header_len > kMaxHeaderBytes) {
    fail("{}: header length {} is implausibly large (limit {} bytes)", file, header_len,
         kMaxHeaderBytes);
  }
  if (header_len > all.size() - 8) {
    fail("{}: header length {} runs past the end of the file ({} bytes)", file, header_len,
         all.size());
  }
  std::span<const uint8_t> header_bytes = all.subspan(8, header_len);
  std::span<const uint8_t> data = all.subspan(8 + header_len);

  check_json_nesting(std::string_view(reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size()),
                     file + ": header");
  json header;
  std::string duplicate;
  try {
    header = parse_without_duplicate_keys(header_bytes.begin(), header_bytes.end(), duplicate);
  } catch (const json::exception& e) {
    fail("{}: header is not valid JSON: {}", file, e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing the header ({} bytes)", file, header_len);
  }
  if (!duplicate.empty()) fail("{}: the header names '{}' twice", file, printable(duplicate));
  if (!header.is_object()) fail("{}: header is not a JSON object", file);

  struct Extent {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Extent> extents;
  for (const auto& [key, entry] : header.items()) {
    const std::string name = printable(key);
    if (key == "__metadata__") {
      if (!entry.is_object()) fail("{}: '__metadata__' must be an object of strings", file);
      for (const auto& [mkey, mvalue] : entry.items()) {
        if (!mvalue.is_string()) {
          fail("{}: '__metadata__' entry '{}' is not a string", file, printable(mkey));
        }
        metadata_[mkey] = mvalue.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) fail("{}: tensor '{}': entry is not an object", file, name);
    auto dtype_it = entry.find("dtype");
    auto shape_it = entry.find("shape");
    auto offsets_it = entry.find("data_offsets");
    if (dtype_it == entry.end() || !dtype_it->is_string()) {
      fail("{}: tensor '{}': missing or non-string 'dtype'", file, name);
    }
    std::optional<DType> dtype = parse_dtype(dtype_it->get<std::string>());
    if (!dtype) {
      fail("{}: tensor '{}': unsupported dtype '{}'", file, name,
           printable(dtype_it->get<std::string>()));
    }
    if (shape_it == entry.end() || !shape_it->is_array()) {
      fail("{}: tensor '{}': missing or non-array 'shape'", file, name);
    }
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
      fail("{}: tensor '{}': 'data_offsets' must be an array of two integers", file, name);
    }

    // Any dimension above the data size makes the byte count check fail anyway; bounding each
    // dimension keeps the running product from overflowing.
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    bool overflow = false;
    for (const json& dim : *shape_it) {
      std::optional<uint64_t> d = as_u64(dim);
      if (!d) fail("{}: tensor '{}': shape entries must be non-negative integers", file, name);
      if (*d > uint64_t(INT64_MAX))
        fail("{}: tensor '{}': shape entry {} is too large", file, name, *d);
      shape.push_back(int64_t(*d));
      overflow = overflow || __builtin_mul_overflow(numel, *d, &numel);
    }
    uint64_t expected_bytes = 0;
    overflow =
        overflow || __builtin_mul_overflow(numel, uint64_t(dtype_size(*dtype)), &expected_bytes);
    if (overflow) fail("{}: tensor '{}': shape {} is too large", file, name, shape_string(shape));

    std::optional<uint64_t> begin = as_u64((*offsets_it)[0]);
    std::optional<uint64_t> end = as_u64((*offsets_it)[1]);
    if (!begin || !end) {
      fail("{}: tensor '{}': 'data_offsets' must be non-negative integers", file, name);
    }
    if (*begin > *end) {
      fail("{}: tensor '{}': data_offsets [{}, {}] end before they begin", file, name, *begin,
           *end);
    }
    if (*end > data.size()) {
      fail("{}: tensor '{}': data_offsets [{}, {}] lie outside the data section ({} bytes)", file,
           name, *begin, *end, data.size());
    }
    if (*end - *begin != expected_bytes) {
      fail("{}: tensor '{}': {} bytes in file but dtype {} with shape {} needs {}", file, name,
           *end - *begin, dtype_name(*dtype), shape_string(shape), expected_bytes);
    }
    TensorView view;
    view.name = key;
    view.dtype = *dtype;
    view.shape = std::move(shape);
    view.bytes = data.subspan(*begin, *end - *begin);
    view.file = path;
    tensors_.emplace(key, std::move(view));
    extents.push_back({*begin, *end, name});
  }

  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < extents.size(); ++i) {
    const Extent& prev = extents[i - 1];
    const Extent& cur = extents[i];
    // Empty tensors occupy no bytes and cannot overlap anything.
    if (cur.begin == cur.end || prev.begin == prev.end) continue;
    if (cur.begin < prev.end) {
      fail("{}: tensor '{}': data_offsets [{}, {}] overlap tensor '{}' [{}, {}]", file, cur.name,
           cur.begin, cur.end, prev.name, prev.begin, prev.end);
    }
  }
}

TensorStore TensorStore::open_file(const std::filesystem::path& path) {
  TensorStore store;
  store.source_ = path;
  auto file = std::make_shared<SafetensorsFile>(path);
  store.tensors_ = file->tensors();
  store.files_.push_back(std::move(file));
  return store;
}

TensorStore TensorStore::open_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail("{}: not a directory", dir.string());
  const std::filesystem::path single = dir / "model.safetensors";
  if (exists_or_fail(single)) {
    TensorStore store = open_file(single);
    store.source_ = dir;
    return store;
  }
  const std::filesystem::path index_path = dir / "model.safetensors.index.json";
  if (!exists_or_fail(index_path)) {
    fail("{}: neither model.safetensors nor model.safetensors.index.json exists", dir.string());
  }
  const std::string index_name = index_path.string();
  json index;
  std::string duplicate;
  try {
    const std::string text = read_file(index_path);
    check_json_nesting(text, index_name);
    index = parse_without_duplicate_keys(text.begin(), text.end(), duplicate);
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", index_name, e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing it", index_name);
  }
  if (!duplicate.empty()) fail("{}: '{}' is named twice", index_name, printable(duplicate));
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    fail("{}: missing 'weight_map' object", index_name);
  }

  TensorStore store;
  store.source_ = dir;
  std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
  for (const auto& [key, shard_json] : index["weight_map"].items()) {
    if (!shard_json.is_string()) {
      fail("{}: weight_map entry '{}' is not a file name", index_name, printable(key));
    }
    const std::string shard = shard_json.get<std::string>();
    // Shards live in the model directory, as HF's loader joins them to it: an absolute path or
    // ".." would read a file from anywhere.
    const std::filesystem::path shard_name(shard);
    bool escapes = shard.empty() || shard_name.is_absolute();
    for (const auto& part : shard_name) escapes = escapes || part == "..";
    if (escapes) {
      fail("{}: weight_map entry '{}': shard '{}' must be a file name inside the model directory",
           index_name, printable(key), printable(shard));
    }
    auto it = shards.find(shard);
    if (it == shards.end()) {
      const std::filesystem::path shard_path = dir / shard;
      if (!std::filesystem::is_regular_file(shard_path, ec)) {
        fail("{}: shard '{}' (holding tensor '{}') does not exist", index_name, printable(shard),
             printable(key));
      }
      it = shards.emplace(shard, std::make_shared<SafetensorsFile>(shard_path)).first;
      store.files_.push_back(it->second);
    }
    const auto& shard_tensors = it->second->tensors();
    auto t = shard_tensors.find(key);
    if (t == shard_tensors.end()) {
      fail("{}: tensor '{}' is mapped to shard '{}', which does not contain it", index_name,
           printable(key), printable(shard));
    }
    store.tensors_.emplace(key, t->second);
  }
  return store;
}

const TensorView* TensorStore::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const TensorView& TensorStore::get(const std::string& name) const {
  const TensorView* view = find(name);
  if (view == nullptr) fail("{}: tensor '{}' not found", source_.string(), printable(name));
  return *view;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, view] : tensors_) out.push_back(name);
  return out;
}

void TensorStore::put(const std::string& name, const TensorView& view) {
  TensorView renamed = view;
  renamed.name = name;
  tensors_.insert_or_assign(name, std::move(renamed));
}

void TensorStore::erase(const std::string& name) { tensors_.erase(name); }

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string file = path.string();
  std::vector<const TensorToWrite*> sorted;
  for (const TensorToWrite& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorToWrite* a, const TensorToWrite* b) { return a->name < b->name; });

  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::set<std::string> seen;
  for (const TensorToWrite* t : sorted) {
    if (t->name.empty() || t->name == "__metadata__") {
      fail("{}: invalid tensor name '{}'", file, printable(t->name));
    }
    if (!seen.insert(t->name).second) fail("{}: tensor '{}' given twice", file, printable(t->name));
    uint64_t numel = 1;
    for (int64_t d : t->shape) {
      if (d < 0)
        fail("{}: tensor '{}': negative dimension in shape {}", file, t->name,
             shape_string(t->shape));
      numel *= uint64_t(d);
    }
    if (numel != t->values.size()) {
      fail("{}: tensor '{}': shape {} has {} elements but {} values were given", file, t->name,
           shape_string(t->shape), numel, t->values.size());
    }
    uint64_t nbytes = numel * dtype_size(t->dtype);
    header[t->name] = {{"dtype", dtype_name(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }

  std::string header_text = header.dump();
  // Padding the header keeps every tensor's data 8-byte aligned within the mapping.
  header_text.append((8 - (8 + header_text.size()) % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + header_text.size() + offset);
  uint64_t header_len = header_text.size();
  out.append(reinterpret_cast<const char*>(&header_len), sizeof header_len);
  out += header_text;
  for (const TensorToWrite* t : sorted) {
    switch (t->dtype) {
      case DType::F32:
        out.append(reinterpret_cast<const char*>(t->values.data()),
                   t->values.size() * sizeof(float));
        break;
      case DType::BF16:
      case DType::F16:
        for (float v : t->values) {
          uint16_t bits = t->dtype == DType::BF16 ? float_to_bf16(v) : float_to_f16(v);
          out.append(reinterpret_cast<const char*>(&bits), sizeof bits);
        }
        break;
    }
  }
  write_file_atomic(path, out);
}

}  // namespace halo::io
