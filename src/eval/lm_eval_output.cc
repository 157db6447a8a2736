#include "eval/lm_eval_output.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/sha256.h"
#include "eval/py_json.h"

namespace halo::eval {
namespace {

using Json = nlohmann::ordered_json;

// lm_eval.utils.handle_arg_string: "true"/"false" (any case) → bool, str.isnumeric() → int,
// anything float() reads → float, else the string. (float() also takes "inf", "nan", exponents and
// '_' between digits; halo's model_args hold paths, "bfloat16" and layer lists, so the plain
// decimal forms suffice.)
Json arg_value(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (lower == "true") return true;
  if (lower == "false") return false;
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && end == text.data() + text.size()) return v;
  }
  double d = 0;
  const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
  auto [end, ec] = std::from_chars(first, text.data() + text.size(), d);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) return d;
  return text;
}

// lm_eval.utils.simple_parse_args_string: "a=1,b=x" → {"a": 1, "b": "x"} (empty items skipped; a
// key without '=' maps to handle_arg_string("")).
Json parse_args_string(const std::string& args) {
  Json out = Json::object();
  size_t start = 0;
  while (start <= args.size()) {
    size_t comma = args.find(',', start);
    if (comma == std::string::npos) comma = args.size();
    std::string item = args.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    out[key] = arg_value(eq == std::string::npos ? "" : item.substr(eq + 1));
  }
  return out;
}

// Python's `left | right` for dicts: left's keys first, right's new keys after, right's values win.
Json merged(Json left, const Json& right) {
  for (const auto& [key, value] : right.items()) left[key] = value;
  return left;
}

Json metric_number(double value, bool integer) {
  return integer ? Json(static_cast<int64_t>(value)) : Json(value);
}

// The metric names of a task in the order lm-eval's results dict holds them: as first reported by
// process_results over the documents (its sample_metrics dict).
std::vector<std::string> reported_order(const TaskResult& result) {
  std::vector<std::string> names;
  for (const auto& doc : result.docs) {
    for (const auto& m : doc.metrics) {
      if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    }
  }
  return names;
}

const MetricResult& metric_named(const TaskResult& result, const std::string& name) {
  for (const auto& m : result.metrics) {
    if (m.name == name) return m;
  }
  fail("{}: no aggregated metric '{}'", result.name, name);
}

std::string python_bool(bool b) { return b ? "True" : "False"; }

double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

nlohmann::ordered_json lm_eval_batch_size(const std::string& header_batch_size) {
  return header_batch_size == "1" ? Json(1) : Json(header_batch_size);
}

std::string lm_eval_model_name(const std::string& model_args) {
  for (const char* prefix : {"peft=", "delta=", "pretrained=", "model=", "path=", "engine="}) {
    size_t at = model_args.find(prefix);
    if (at == std::string::npos) continue;
    std::string rest = model_args.substr(at + std::string(prefix).size());
    // Python's split(key)[1] ends at the next occurrence of the key; split(",")[0] at a comma.
    size_t again = rest.find(prefix);
    if (again != std::string::npos) rest.resize(again);
    return rest.substr(0, rest.find(','));
  }
  return "";
}

std::string lm_eval_sanitize_model_name(const std::string& name) {
  static const std::string kReplaced = "\"<>:/|\\?*[]";
  std::string out;
  for (size_t i = 0; i < name.size();) {
    if (kReplaced.find(name[i]) == std::string::npos) {
      out += name[i++];
      continue;
    }
    while (i < name.size() && kReplaced.find(name[i]) != std::string::npos) ++i;
    out += "__";
  }
  return out;
}

std::string lm_eval_date_id() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  if (micros < 0) micros += 1000000;
  std::tm local{};
  localtime_r(&t, &local);
  std::string id = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}-{:02d}-{:02d}", local.tm_year + 1900, local.tm_mon + 1,
                               local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec);
  if (micros != 0) id += fmt::format(".{:06d}", micros);
  return id;
}

LmEvalSamples lm_eval_samples(const PreparedTask& prepared, const TaskResult& result) {
  const Task& task = *prepared.task;
  HALO_CHECK(result.docs.size() == prepared.docs.size(), "{}: {} outcomes for {} documents", task.name,
             result.docs.size(), prepared.docs.size());
  LmEvalSamples out;
  std::string hashes;
  for (size_t i = 0; i < prepared.docs.size(); ++i) {
    const Doc& doc = prepared.docs[i];
    const DocOutcome& outcome = result.docs[i];
    // evaluate(): one Instance per choice (arguments (ctx, delimiter + choice), resps [(ll,
    // is_greedy)]) or one generate_until Instance (arguments (ctx, generation kwargs), resps
    // [text]); save_results_samples then turns each argument tuple into {"arg_0": ..., "arg_1":
    // ...} under "gen_args_<i>" and every response into str().
    Json arguments = Json::object(), resps = Json::array(), filtered = Json::array();
    if (task.output_type == OutputType::multiple_choice) {
      HALO_CHECK(outcome.loglikelihoods.size() == doc.choices.size() && outcome.is_greedy.size() == doc.choices.size(),
                 "{}: document {}: {} log-likelihoods for {} choices", task.name, i, outcome.loglikelihoods.size(),
                 doc.choices.size());
      for (size_t c = 0; c < doc.choices.size(); ++c) {
        arguments[fmt::format("gen_args_{}", c)] = {{"arg_0", doc.context}, {"arg_1", task.target_delimiter + doc.choices[c]}};
        Json pair = Json::array({py::float_repr(outcome.loglikelihoods[c]), python_bool(outcome.is_greedy[c])});
        resps.push_back(Json::array({pair}));
        filtered.push_back(pair);
      }
    } else {
      arguments["gen_args_0"] = {{"arg_0", doc.context}, {"arg_1", task.generation.request_kwargs}};
      resps.push_back(Json::array({outcome.output}));
      filtered.push_back(outcome.output);
    }
    Json names = Json::array();
    for (const auto& m : outcome.metrics) names.push_back(m.name);
    std::string doc_hash = sha256_hex(py::json_dumps(doc.record, 2));
    std::string prompt_hash = sha256_hex(doc.context);
    std::string target_hash = sha256_hex(doc.target);
    Json sample = {{"doc_id", i},
                   {"doc", doc.record},
                   {"target", doc.target},
                   {"arguments", arguments},
                   {"resps", resps},
                   {"filtered_resps", filtered},
                   {"filter", "none"},
                   {"metrics", names},
                   {"doc_hash", doc_hash},
                   {"prompt_hash", prompt_hash},
                   {"target_hash", target_hash}};
    for (const auto& m : outcome.metrics) sample[m.name] = metric_number(m.value, m.integer);
    out.lines.push_back(py::json_dumps(sample) + "\n");
    hashes += doc_hash + prompt_hash + target_hash;
  }
  out.task_hash = sha256_hex(hashes);
  return out;
}

Json lm_eval_results(const PreparedEval& prepared, const EvalResults& results, const LmEvalRunInfo& info,
                     const std::vector<std::string>& task_hashes) {
  HALO_CHECK(prepared.tasks.size() == results.tasks.size() && task_hashes.size() == results.tasks.size(),
             "lm-eval output: {} prepared tasks, {} results, {} task hashes", prepared.tasks.size(),
             results.tasks.size(), task_hashes.size());
  // simple_evaluate's TaskManager metadata: model_args merged with --metadata; halo's documents
  // need --metadata '{"max_seq_lengths": [...]}' only when the lengths are not the default.
  Json run_metadata = parse_args_string(info.model_args);
  bool lengths_given = prepared.max_seq_lengths != std::vector<size_t>{4096};
  if (lengths_given) run_metadata["max_seq_lengths"] = prepared.max_seq_lengths;

  Json tables = Json::object(), subtasks = Json::object(), configs = Json::object(), versions = Json::object(),
       nshot = Json::object(), higher = Json::object(), nsamples = Json::object(), hashes = Json::object();
  // Tasks are alphabetical here (prepare_print_tasks and the sorted dicts); the dicts built from
  // lm-eval's task list itself (n-samples, task_hashes) list them in reverse, because
  // TaskManager.load_task_or_group collects the sorted names through a ChainMap.
  for (size_t t = 0; t < results.tasks.size(); ++t) {
    const TaskResult& r = results.tasks[t];
    const Task& task = *prepared.tasks[t].task;
    Json table = {{"alias", r.name}};
    for (const auto& name : reported_order(r)) {
      const MetricResult& m = metric_named(r, name);
      table[name + ",none"] = metric_number(m.value, m.integer_value);
      table[name + "_stderr,none"] = m.stderr_value ? Json(*m.stderr_value) : Json("N/A");
    }
    tables[r.name] = table;
    subtasks[r.name] = Json::array();
    Json config = task.lm_eval.config;
    Json metadata = {{"version", task.lm_eval.version}};
    config["metadata"] = task.lm_eval.merges_run_metadata ? merged(metadata, run_metadata) : metadata;
    configs[r.name] = config;
    versions[r.name] = task.lm_eval.version;
    nshot[r.name] = 0;
    Json hib = Json::object();
    for (const auto& name : task.lm_eval.higher_is_better) hib[name] = true;
    higher[r.name] = hib;
  }
  for (size_t t = results.tasks.size(); t-- > 0;) {
    const PreparedTask& p = prepared.tasks[t];
    size_t original = std::max(p.total_docs, p.docs.size());
    size_t effective = std::min(prepared.limit.value_or(original), original);
    nsamples[results.tasks[t].name] = {{"original", original}, {"effective", effective}};
    hashes[results.tasks[t].name] = task_hashes[t];
  }

  const double end_steady = steady_seconds();
  const double elapsed = results.prepare_seconds + results.seconds;
  auto token = [](const std::optional<std::string>& text, std::optional<int32_t> id) {
    return Json::array({text ? Json(*text) : Json(nullptr), id ? std::to_string(*id) : std::string("None")});
  };
  const std::string model_name = lm_eval_model_name(info.model_args);
  Json out = {{"results", tables},
              {"group_subtasks", subtasks},
              {"configs", configs},
              {"versions", versions},
              {"n-shot", nshot},
              {"higher_is_better", higher},
              {"n-samples", nsamples},
              {"config",
               {{"model", "hf"},
                {"model_args", info.model_args},
                {"model_num_parameters", nullptr},
                {"model_dtype", "torch.bfloat16"},
                {"model_revision", "main"},
                {"model_sha", ""},
                {"batch_size", info.batch_size},
                {"batch_sizes", Json::array()},
                {"device", nullptr},
                {"use_cache", nullptr},
                {"limit", prepared.limit ? Json(double(*prepared.limit)) : Json(nullptr)},
                {"bootstrap_iters", 100000},
                {"gen_kwargs", nullptr},
                {"random_seed", 0},
                {"numpy_seed", 1234},
                {"torch_seed", 1234},
                {"fewshot_seed", 1234}}},
              {"git_hash", nullptr},
              {"date", epoch_seconds() - elapsed},
              {"pretty_env_info", info.environment},
              {"transformers_version", nullptr},
              {"lm_eval_version", nullptr},
              {"upper_git_hash", nullptr},
              {"tokenizer_pad_token", nullptr},
              {"tokenizer_eos_token", token(info.eos_token, info.eos_id)},
              {"tokenizer_bos_token", token(info.bos_token, info.bos_id)},
              {"eot_token_id", info.eos_id ? Json(*info.eos_id) : Json(nullptr)},
              {"max_length", info.max_length ? Json(*info.max_length) : Json(nullptr)},
              {"task_hashes", hashes},
              {"model_source", "hf"},
              {"model_name", model_name},
              {"model_name_sanitized", lm_eval_sanitize_model_name(model_name)},
              {"system_instruction", nullptr},
              {"system_instruction_sha", nullptr},
              {"fewshot_as_multiturn", false},
              {"chat_template", nullptr},
              {"chat_template_sha", nullptr},
              {"start_time", end_steady - elapsed},
              {"end_time", end_steady},
              {"total_evaluation_time_seconds", py::float_repr(elapsed)}};
  return out;
}

std::filesystem::path write_lm_eval_output(const std::filesystem::path& output_path, const PreparedEval& prepared,
                                           const EvalResults& results, const LmEvalRunInfo& info) {
  std::vector<LmEvalSamples> samples;
  std::vector<std::string> task_hashes;
  for (size_t t = 0; t < results.tasks.size(); ++t) {
    samples.push_back(lm_eval_samples(prepared.tasks.at(t), results.tasks[t]));
    task_hashes.push_back(samples.back().task_hash);
  }
  Json json = lm_eval_results(prepared, results, info, task_hashes);
  const std::filesystem::path dir = output_path / lm_eval_sanitize_model_name(lm_eval_model_name(info.model_args));
  const std::string date = lm_eval_date_id();
  // Samples first: a results file is the mark of a complete output, as lm-eval-diff reads it.
  for (size_t t = 0; t < results.tasks.size(); ++t) {
    std::string text;
    for (const auto& line : samples[t].lines) text += line;
    write_file_atomic(dir / fmt::format("samples_{}_{}.jsonl", results.tasks[t].name, date), text);
  }
  write_file_atomic(dir / fmt::format("results_{}.json", date), py::json_dumps(json, 2));
  return dir;
}

}  // namespace halo::eval
