#include "eval/lm_eval_files.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::eval {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// results_<date>.json → <date>; empty when the name does not have that form.
std::string results_date(const std::string& file_name) {
  if (!file_name.starts_with("results_") || !file_name.ends_with(".json")) return "";
  return file_name.substr(8, file_name.size() - 8 - 5);
}

bool has_results_file(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && !results_date(entry.path().filename().string()).empty()) return true;
  }
  return false;
}

// lm-eval writes P/<model>/results_*.json; accept P or P/<model>.
fs::path results_folder(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) fail("{}: not a directory (expected lm-eval's --output_path)", path.string());
  if (has_results_file(path)) return path;
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_directory() && has_results_file(entry.path())) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    fail("{}: no lm-eval results_<date>.json here or in a model folder below it", path.string());
  }
  if (found.size() > 1) {
    fail("{}: results for several models ({} and {}); pass one model folder", path.string(),
         found[0].filename().string(), found[1].filename().string());
  }
  return found[0];
}

Json parse_json(const std::string& text, const std::string& where) {
  check_json_nesting(text, where);
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
    fail("{}: invalid JSON: {}", where, e.what());
  }
}

const Json& member(const Json& object, const std::string& key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) fail("{}: missing field '{}'", where, key);
  return *it;
}

std::string string_member(const Json& object, const std::string& key, const std::string& where) {
  const Json& v = member(object, key, where);
  if (!v.is_string()) fail("{}: field '{}' must be a string, got {}", where, key, v.type_name());
  return v.get<std::string>();
}

// Python float() of the str(float) lm-eval stores: a decimal or exponent number, inf or nan.
double parse_python_float(const std::string& text, const std::string& where) {
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    fail("{}: '{}' is not a log-likelihood (expected str(float))", where, text);
  }
  return v;
}

LmEvalSample parse_sample(const Json& j, const std::string& where, const std::string& output_type) {
  if (!j.is_object()) fail("{}: expected a JSON object, got {}", where, j.type_name());
  LmEvalSample s;
  const Json& doc_id = member(j, "doc_id", where);
  if (!doc_id.is_number_integer()) fail("{}: field 'doc_id' must be an integer, got {}", where, doc_id.type_name());
  s.doc_id = doc_id.get<int64_t>();
  s.doc = member(j, "doc", where);
  s.target = string_member(j, "target", where);
  s.doc_hash = string_member(j, "doc_hash", where);
  s.prompt_hash = string_member(j, "prompt_hash", where);
  s.target_hash = string_member(j, "target_hash", where);

  const Json& arguments = member(j, "arguments", where);
  const Json& resps = member(j, "resps", where);
  const Json& filtered = member(j, "filtered_resps", where);
  if (!arguments.is_object()) fail("{}: field 'arguments' must be an object, got {}", where, arguments.type_name());
  if (!resps.is_array() || !filtered.is_array() || resps.size() != arguments.size() ||
      filtered.size() != arguments.size()) {
    fail("{}: 'arguments', 'resps' and 'filtered_resps' must list the same {} request(s)", where, arguments.size());
  }
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string key = fmt::format("gen_args_{}", i);
    const std::string at = fmt::format("{}: arguments.{}", where, key);
    const Json& args = member(arguments, key, where + ": arguments");
    if (!args.is_object()) fail("{}: must be an object, got {}", at, args.type_name());
    LmEvalRequest r;
    r.context = string_member(args, "arg_0", at);
    r.second = member(args, "arg_1", at);
    if (output_type == "generate_until") {
      if (!filtered[i].is_string()) fail("{}: filtered_resps[{}] must be the generated text (a string)", where, i);
      r.text = filtered[i].get<std::string>();
    } else {
      // save_results_samples' sanitize_list: [[ [str(ll), str(is_greedy)] ]] per request.
      const Json& resp = resps[i];
      if (!resp.is_array() || resp.size() != 1 || !resp[0].is_array() || resp[0].size() != 2 ||
          !resp[0][0].is_string() || !resp[0][1].is_string()) {
        fail("{}: resps[{}] must be [[\"<log-likelihood>\", \"True\"|\"False\"]]", where, i);
      }
      r.loglikelihood = parse_python_float(resp[0][0].get<std::string>(), fmt::format("{}: resps[{}]", where, i));
      const std::string greedy = resp[0][1].get<std::string>();
      if (greedy != "True" && greedy != "False") fail("{}: resps[{}]: is_greedy '{}' is not True or False", where, i, greedy);
      r.is_greedy = greedy == "True";
    }
    s.requests.push_back(std::move(r));
  }
  const Json& names = member(j, "metrics", where);
  if (!names.is_array()) fail("{}: field 'metrics' must be a list of names", where);
  for (const auto& name : names) {
    if (!name.is_string()) fail("{}: field 'metrics' must be a list of names", where);
    const Json& value = member(j, name.get<std::string>(), where);
    if (!value.is_number()) fail("{}: metric '{}' must be a number, got {}", where, name.get<std::string>(), value.type_name());
    s.metrics.emplace_back(name.get<std::string>(), value.get<double>());
  }
  return s;
}

std::vector<LmEvalSample> read_samples(const fs::path& file, const std::string& output_type) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("{}: cannot open the samples file", file.string());
  std::vector<LmEvalSample> out;
  std::set<int64_t> seen;
  std::string text;
  for (size_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", file.string(), line);
    LmEvalSample s = parse_sample(parse_json(text, where), where, output_type);
    s.line = line;
    if (!seen.insert(s.doc_id).second) fail("{}: doc_id {} appears twice", where, s.doc_id);
    out.push_back(std::move(s));
  }
  HALO_CHECK(!in.bad(), "{}: read error", file.string());
  return out;
}

}  // namespace

LmEvalOutput read_lm_eval_output(const fs::path& path) {
  LmEvalOutput out;
  out.dir = results_folder(path);
  std::vector<std::pair<std::string, fs::path>> files;  // (date, path)
  for (const auto& entry : fs::directory_iterator(out.dir)) {
    std::string date = results_date(entry.path().filename().string());
    if (entry.is_regular_file() && !date.empty()) files.emplace_back(date, entry.path());
  }
  std::sort(files.begin(), files.end());  // lm-eval's date ids sort as the times they name

  std::map<std::string, LmEvalTask> tasks;
  for (const auto& [date, file] : files) {
    const std::string where = file.string();
    Json j = parse_json(read_file(file), where);
    if (!j.is_object()) fail("{}: expected a JSON object", where);
    const Json& results = member(j, "results", where);
    const Json& configs = member(j, "configs", where);
    if (!results.is_object() || !configs.is_object()) fail("{}: 'results' and 'configs' must be objects", where);
    for (const auto& [name, table] : results.items()) {
      if (!configs.contains(name)) continue;  // a group: no samples of its own
      const std::string at = fmt::format("{}: results.{}", where, name);
      if (!table.is_object()) fail("{}: must be an object", at);
      LmEvalTask task;
      task.name = name;
      task.results_file = file;
      task.samples_file = out.dir / fmt::format("samples_{}_{}.jsonl", name, date);
      const Json& config = configs[name];
      task.output_type = config.is_object() && config.contains("output_type") && config["output_type"].is_string()
                             ? config["output_type"].get<std::string>()
                             : "";
      if (task.output_type != "multiple_choice" && task.output_type != "generate_until") {
        fail("{}: configs.{}.output_type must be \"multiple_choice\" or \"generate_until\"", where, name);
      }
      if (config.contains("target_delimiter") && config["target_delimiter"].is_string()) {
        task.target_delimiter = config["target_delimiter"].get<std::string>();
      }
      for (const auto& [key, value] : table.items()) {
        if (key == "alias" || key.find("_stderr,") != std::string::npos) continue;
        std::string metric = key.ends_with(",none") ? key.substr(0, key.size() - 5) : key;
        if (!value.is_number()) fail("{}: '{}' must be a number, got {}", at, key, value.type_name());
        task.metrics.emplace_back(metric, value.get<double>());
      }
      tasks[name] = std::move(task);  // a newer file replaces an older one
    }
  }
  if (tasks.empty()) fail("{}: the results files name no task", out.dir.string());
  for (auto& [name, task] : tasks) {
    std::error_code ec;
    if (!fs::is_regular_file(task.samples_file, ec)) {
      fail("{}: task {} has no samples file {} (run lm_eval with --log_samples)", task.results_file.string(), name,
           task.samples_file.filename().string());
    }
    task.samples = read_samples(task.samples_file, task.output_type);
    out.tasks.push_back(std::move(task));
  }
  return out;
}

}  // namespace halo::eval
