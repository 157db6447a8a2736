#include "io/checkpoint.h"

#include <fmt/ranges.h>

#include <charconv>
#include <iterator>
#include <map>
#include <new>
#include <utility>
#include <vector>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "base/log.h"

namespace halo::io {

namespace {

namespace fs = std::filesystem;

void require_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) fail("{}: directory does not exist", dir.string());
  if (!fs::is_directory(dir, ec)) fail("{}: not a directory", dir.string());
}

// The N of a directory named ckpt_N; names with anything but digits after the prefix are not
// checkpoints (e.g. ckpt_final, ckpt_12.tmp).
std::optional<int> checkpoint_step(const std::string& name) {
  constexpr std::string_view prefix = "ckpt_";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return {};
  const char* begin = name.data() + prefix.size();
  const char* end = name.data() + name.size();
  int step = 0;
  auto [ptr, ec] = std::from_chars(begin, end, step);
  if (ec != std::errc() || ptr != end || *begin == '-' || *begin == '+') return {};
  return step;
}

// Step → checkpoint directory, ordered by step (numerically: ckpt_900 before ckpt_1000).
std::map<int, fs::path> checkpoint_dirs(const fs::path& dir) {
  std::map<int, fs::path> dirs;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::error_code entry_ec;
    if (!entry.is_directory(entry_ec)) continue;
    if (std::optional<int> step = checkpoint_step(entry.path().filename().string())) {
      dirs.emplace(*step, entry.path());
    }
  }
  if (ec) fail("{}: cannot list directory: {}", dir.string(), ec.message());
  return dirs;
}

bool is_student_field(const std::string& key) {
  return key.rfind("lightning_", 0) == 0 || key == "expand_kv_proj";
}

// The Stage-1 student layers were trained with student_config.json; orig_config.json may have
// been re-serialised with different lightning settings, and the weights only fit the former.
ModelConfig apply_student_config(const ModelConfig& orig, const fs::path& student_path,
                                 const fs::path& orig_path) {
  nlohmann::json student;
  const std::string student_text = read_file(student_path);
  check_json_nesting(student_text, student_path.string());
  try {
    student = nlohmann::json::parse(student_text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", student_path.string(), e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing it", student_path.string());
  }
  if (!student.is_object()) fail("{}: not a JSON object", student_path.string());
  nlohmann::json merged = orig.raw;
  for (const auto& [key, value] : student.items()) {
    if (is_student_field(key)) merged[key] = value;
  }
  ModelConfig config = parse_model_config(merged, student_path.string());

  const nlohmann::json before = model_config_to_json(orig);
  const nlohmann::json after = model_config_to_json(config);
  for (const auto& [key, value] : after.items()) {
    if (!is_student_field(key) || before.at(key) == value) continue;
    warn("{}: {} = {} differs from {} ({}); using the student's value", student_path.string(), key,
         value.dump(), orig_path.filename().string(), before.at(key).dump());
  }
  return config;
}

// Stage-1 checkpoints wrap the teacher and the student layer inside the training model; the
// rewritten names are those of the HF model the student layers slot into.
void rewrite_stage1_keys(TensorStore& tensors) {
  auto replace_all = [](std::string& s, const std::string& from, const std::string& to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
      s.replace(pos, from.size(), to);
    }
  };
  // All old names leave the store before any new one enters, so a rewritten name can never be
  // mistaken for a not-yet-rewritten one.
  std::vector<std::pair<std::string, TensorView>> renamed;
  for (const std::string& name : tensors.names()) {
    TensorView view = tensors.get(name);
    tensors.erase(name);
    if (name.find("teacher_layer.") != std::string::npos) continue;
    std::string key = name;
    replace_all(key, "student_layer.", "");
    replace_all(key, "model.model.", "model.");
    replace_all(key, "model.lm_head", "lm_head");
    renamed.emplace_back(std::move(key), std::move(view));
  }
  std::map<std::string, std::string> origin;
  for (auto& [key, view] : renamed) {
    auto [it, inserted] = origin.emplace(key, view.name);
    if (!inserted) {
      fail("{}: tensors '{}' and '{}' both become '{}' after key rewriting",
           tensors.source().string(), it->second, view.name, key);
    }
    tensors.put(key, view);
  }
  if (tensors.find("lm_head.weight") == nullptr) {
    if (const TensorView* embed = tensors.find("model.embed_tokens.weight")) {
      tensors.put("lm_head.weight", *embed);
    }
  }
}

}  // namespace

HfModel open_hf_model(const fs::path& dir) {
  require_directory(dir);
  HfModel model;
  model.dir = dir;
  model.config = load_model_config(dir / "config.json");
  model.tensors = TensorStore::open_directory(dir);
  return model;
}

Stage1Run open_stage1_run(const fs::path& dir, std::optional<int> step) {
  require_directory(dir);
  Stage1Run run;
  run.dir = dir;
  const fs::path orig_path = dir / "orig_config.json";
  const fs::path student_path = dir / "student_config.json";
  run.config = load_model_config(orig_path);
  std::error_code ec;
  if (fs::exists(student_path, ec))
    run.config = apply_student_config(run.config, student_path, orig_path);

  const std::map<int, fs::path> checkpoints = checkpoint_dirs(dir);
  if (checkpoints.empty()) fail("{}: no ckpt_N checkpoint directories", dir.string());
  auto chosen = std::prev(checkpoints.end());
  if (step) {
    chosen = checkpoints.find(*step);
    if (chosen == checkpoints.end()) {
      std::vector<int> steps;
      for (const auto& [n, path] : checkpoints) steps.push_back(n);
      fail("{}: no checkpoint for step {} (available steps: {})", dir.string(), *step,
           fmt::join(steps, ", "));
    }
  }
  run.step = chosen->first;
  run.tensors = TensorStore::open_directory(chosen->second);
  rewrite_stage1_keys(run.tensors);
  return run;
}

}  // namespace halo::io
