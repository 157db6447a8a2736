#include "io/model_output.h"

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/output_path.h"

namespace halo::io {

namespace {

namespace fs = std::filesystem;

// HF's shard names: model-00001-of-00004.safetensors.
// Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
bool is_shard_name(const std::string& name) {
  size_t pos = 0;
  auto literal = [&](std::string_view text) {
    if (name.compare(pos, text.size(), text) != 0) return false;
    pos += text.size();
    return true;
  };
  auto digits = [&] {
    const size_t start = pos;
    while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') ++pos;
    return pos > start;
  };
  return literal("model-") && digits() && literal("-of-") && digits() && literal(".safetensors") &&
         pos == name.size();
}

// The first file of a model found in `dir`, or "" (a missing directory holds none).
std::string model_file_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "";
  for (const char* name : {"config.json", "model.safetensors", "model.safetensors.index.json"}) {
    if (fs::exists(dir / name, ec)) return name;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".safetensors") return entry.path().filename().string();
  }
  return "";
}

}  // namespace

void check_model_output_dir(const fs::path& out, std::initializer_list<ModelInput> inputs, bool force) {
  check_writable_dir(out, "--out");
  if (force) return;
  for (const ModelInput& input : inputs) {
    if (input.dir.empty() || !path_is_within(out, input.dir)) continue;
    if (same_path(input.dir, out)) {
      fail("{}: --out is the {} directory; converting would overwrite the source (pass --force to do it anyway)",
           out.string(), input.flag);
    }
    fail("{}: --out lies inside the {} directory {} (pass --force to write there anyway)", out.string(), input.flag,
         input.dir.string());
  }
  if (const std::string file = model_file_in(out); !file.empty()) {
    fail("{}: already holds a model ({}); pass --force to replace it", out.string(), file);
  }
}

void remove_stale_shards(const fs::path& out) {
  std::vector<fs::path> stale;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(out, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "model.safetensors.index.json" || is_shard_name(name)) stale.push_back(entry.path());
  }
  if (ec) fail("{}: cannot list directory: {}", out.string(), ec.message());
  for (const fs::path& path : stale) {
    fs::remove(path, ec);
    if (ec) fail("{}: cannot remove the stale file: {}", path.string(), ec.message());
  }
}

}  // namespace halo::io
