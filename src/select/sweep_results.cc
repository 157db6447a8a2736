#include "select/sweep_results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/sweep_layout.h"
#include "eval/variant_record.h"

namespace halo::select {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "halo-sweep-results";
constexpr int kVersion = 1;

std::string layer_label(int layer) { return fmt::format("layer {}", layer); }

// Checks what every loaded suite must satisfy, whatever its source: it has rows, every value is
// a finite number, and no task is named twice (a log holding two tables, e.g. from an appended
// rerun, has no single right answer, and layer_analysis.py would silently pool both).
void check_suite(const SuiteResults& suite, const std::string& label, Suite which) {
  if (suite.rows.empty()) {
    fail("{}: {}: no lm-eval results table in the {} results", suite.source, label,
         suite_name(which));
  }
  for (const TableRow& row : suite.rows) {
    if (std::isfinite(row.value)) continue;
    // layer_analysis.py's pattern wants digits: it would drop this row and call the task missing.
    const std::string where =
        row.line > 0 ? fmt::format("{}:{}", suite.source, row.line) : suite.source;
    fail("{}: {}: {}/{} is {}, not a finite number; evaluate this variant again", where, label,
         row.task, row.metric, std::isnan(row.value) ? "NaN" : (row.value > 0 ? "inf" : "-inf"));
  }
  std::map<std::string, std::size_t> named_at;
  for (const TableRow& row : suite.rows) {
    if (!row.names_task) continue;
    auto [it, fresh] = named_at.emplace(row.task, row.line);
    if (!fresh) {
      fail("{}: {}: task {} appears twice (lines {} and {}); keep one results table per log",
           suite.source, label, row.task, it->second, row.line);
    }
  }
}

// Layers must be exactly 0..N-1: a gap is a variant that is missing, not a layer to skip.
void check_layers_complete(const std::map<int, std::string>& found, const std::string& where,
                           const std::string& what) {
  if (found.empty()) fail("{}: no layer variants ({})", where, what);
  int expected = 0;
  for (const auto& [layer, name] : found) {
    if (layer != expected) {
      fail("{}: layer {}: missing ({} found layers {}..{} but not {}; a sweep must cover every "
           "layer from 0)",
           where, expected, what, found.begin()->first, found.rbegin()->first, expected);
    }
    ++expected;
  }
}

// Where one variant's results are and what it is called in messages.
struct VariantDir {
  fs::path dir;
  std::string label;
};

SuiteResults read_log(const VariantDir& v, Suite which, const std::string& why_needed) {
  fs::path path = v.dir / suite_log_name(which);
  SuiteResults suite{path.string(), {}};
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    fail("{}: {}: missing {} log ({})", suite.source, v.label, suite_name(which), why_needed);
  }
  suite.rows = eval::parse_results_table(read_file(path), suite.source);
  check_suite(suite, v.label, which);
  return suite;
}

// A sweep written by `halo sweep` carries a record (results.json) per variant: the fingerprint of
// the run's inputs and a digest of every file it wrote. Ranking variants of different runs, or logs
// changed since, would compare numbers that do not belong together, so every variant must have a
// record, all of one fingerprint, whose digests match the logs read. A root without any record
// (published logs, tables only) is taken as it is.
void check_one_run(const std::vector<VariantDir>& variants, const std::vector<Suite>& suites) {
  std::vector<std::optional<eval::VariantRecord>> records;
  for (const VariantDir& v : variants) records.push_back(eval::read_variant_record_or_fail(v.dir));
  auto first = std::find_if(records.begin(), records.end(), [](const auto& r) { return r.has_value(); });
  if (first == records.end()) return;
  const VariantDir& reference = variants[static_cast<std::size_t>(first - records.begin())];
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const VariantDir& v = variants[i];
    const std::string record_path = (v.dir / eval::kVariantRecordFile).string();
    if (!records[i]) {
      fail("{}: {}: missing, while {} has one (an unfinished variant, or logs from another run); run the "
           "sweep again",
           record_path, v.label, reference.label);
    }
    const eval::VariantRecord& record = *records[i];
    if (record.variant != v.label) {
      fail("{}: {}: the record is of variant '{}' (a folder copied from elsewhere?)", record_path, v.label,
           record.variant);
    }
    if (record.fingerprint != (*first)->fingerprint) {
      fail("{}: {}: from another run than {} (input fingerprint {}, not {}): the sweep mixes results of "
           "different inputs; run it again with one set of inputs",
           record_path, v.label, reference.label, record.fingerprint, (*first)->fingerprint);
    }
    for (Suite s : suites) {
      if (!record.files.contains(std::string(suite_log_name(s)))) {
        fail("{}: {}: not written by the run its {} records (another run's log); run the sweep again",
             (v.dir / suite_log_name(s)).string(), v.label, eval::kVariantRecordFile);
      }
    }
    const std::string problem = eval::check_variant_files(v.dir, record);
    if (!problem.empty()) fail("{}: {}: {}; run the sweep again", v.dir.string(), v.label, problem);
  }
}

// Why a missing commonsense result is an error: the mode needs it, or (a mode that does not) other
// variants have one, and a suite is used for every variant or for none.
std::string why_commonsense(Mode mode) {
  return needs_commonsense(mode)
             ? mode_needs(mode)
             : fmt::format("other variants have commonsense results: {} mode can do without "
                           "them, but only when no variant has any",
                           mode_name(mode));
}

// nlohmann keeps the last of duplicate keys silently; a results file with two values for one key
// is ambiguous, so parsing rejects it. The callback sees object starts, keys and object ends in
// document order, which is enough to track the keys of every open object, and so the key path of a
// value the parser rejects: Python's json module writes a NaN result as the bare token NaN (or
// Infinity), which is not JSON, and that deserves a message naming the value rather than a syntax
// error.
nlohmann::ordered_json parse_rejecting_duplicates(const std::string& text, const std::string& path) {
  std::vector<std::set<std::string>> open;
  std::vector<std::string> key_path;  // the current key of every open object
  auto callback = [&](int, nlohmann::ordered_json::parse_event_t event,
                      nlohmann::ordered_json& parsed) {
    using E = nlohmann::ordered_json::parse_event_t;
    if (event == E::object_start) {
      open.emplace_back();
      key_path.emplace_back();
    } else if (event == E::object_end) {
      open.pop_back();
      key_path.pop_back();
    } else if (event == E::key) {
      if (!open.back().insert(parsed.get<std::string>()).second) {
        fail("{}: key \"{}\" appears twice in one object", path, parsed.get<std::string>());
      }
      key_path.back() = parsed.get<std::string>();
    }
    return true;
  };
  auto where = [&] {
    return key_path.empty() ? std::string("(top level)") : fmt::format("{}", fmt::join(key_path, "."));
  };
  check_json_nesting(text, path);
  try {
    return nlohmann::ordered_json::parse(text, callback);
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    for (const char* token : {"NaN", "Infinity"}) {
      if (std::string_view(text).substr(at).starts_with(token)) {
        const bool negative = at > 0 && text[at - 1] == '-';
        fail("{}: {}: {}{} is not a finite number; evaluate this variant again", path, where(),
             negative ? "-" : "", token);
      }
    }
    fail("{}: not valid JSON: {}", path, e.what());
  } catch (const nlohmann::json::out_of_range& e) {
    fail("{}: {}: not a finite number: {}", path, where(), e.what());
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", path, e.what());
  }
}

SuiteResults suite_from_json(const nlohmann::ordered_json& tasks, const std::string& path,
                             const std::string& key_path, const std::string& label) {
  SuiteResults suite{fmt::format("{} ({})", path, key_path), {}};
  if (!tasks.is_object()) fail("{}: expected an object of tasks", suite.source);
  for (const auto& [task, metrics] : tasks.items()) {
    if (!metrics.is_object() || metrics.empty()) {
      fail("{}: task {}: expected a non-empty object of metric values", suite.source, task);
    }
    bool first = true;
    for (const auto& [metric, value] : metrics.items()) {
      if (value.is_null()) {
        // What a NaN result becomes when JSON writers that cannot write NaN write it anyway.
        fail("{}: {}: {}.{} is null, not a finite number; evaluate this variant again",
             suite.source, label, task, metric);
      }
      if (!value.is_number()) {
        fail("{}: {}.{}: expected a number", suite.source, task, metric);
      }
      suite.rows.push_back(TableRow{task, first, metric, value.get<double>(), 0});
      first = false;
    }
  }
  return suite;
}

VariantResults variant_from_json(const nlohmann::ordered_json& j, const std::string& path,
                                 const std::string& name, const std::string& label,
                                 bool with_commonsense, Mode mode) {
  VariantResults v{label, {}, {}, {}};
  for (Suite s : kSuites) {
    if (s == Suite::commonsense && !with_commonsense) continue;
    auto it = j.find(std::string(suite_name(s)));
    if (it == j.end()) {
      fail("{}: {}: no {} results (variants.{}; {})", path, label, suite_name(s), name,
           s == Suite::commonsense ? why_commonsense(mode) : mode_needs(mode));
    }
    v.suite(s) = suite_from_json(*it, path, fmt::format("variants.{}.{}", name, suite_name(s)), label);
    check_suite(v.suite(s), label, s);
  }
  for (const auto& [key, value] : j.items()) {
    if (key != suite_name(Suite::commonsense) && key != suite_name(Suite::retrieval)) {
      fail("{}: variants.{}.{}: unknown suite (expected commonsense and retrieval)", path, name, key);
    }
  }
  return v;
}

// The shortest text that reads back to the same double, so the file holds exactly the values the
// tables printed (0.4317, not 0.43170000000000003).
std::string number_text(double v) { return fmt::format("{}", v); }

std::string suite_line(const SuiteResults& suite) {
  // Rows grouped by task in table order; a task's metrics in table order, since the row order
  // within a task decides which row layer_analysis.py drops.
  std::string out = "{";
  std::string current;
  std::set<std::string> metrics;
  for (std::size_t i = 0; i < suite.rows.size(); ++i) {
    const TableRow& row = suite.rows[i];
    if (i == 0 || row.task != current) {
      if (i > 0) out += "}, ";
      out += nlohmann::json(row.task).dump() + ": {";
      current = row.task;
      metrics.clear();
    } else {
      out += ", ";
    }
    if (!metrics.insert(row.metric).second) {
      fail("{}: task {} has two {} rows (different filters?); the results file keeps one value "
           "per metric",
           suite.source, row.task, row.metric);
    }
    out += nlohmann::json(row.metric).dump() + ": " + number_text(row.value);
  }
  return out + "}}";
}

}  // namespace

std::string_view suite_name(Suite suite) {
  return suite == Suite::commonsense ? eval::kCommonsenseSuite : eval::kRetrievalSuite;
}

std::string_view suite_log_name(Suite suite) {
  return suite == Suite::commonsense ? eval::kCommonsenseLog : eval::kRetrievalLog;
}

SweepResults load_sweep_logs(const fs::path& root, const std::string& model, Mode mode) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) fail("{}: sweep root is not a directory", root.string());
  fs::path model_dir = root / model;
  if (!fs::is_directory(model_dir, ec)) {
    fail("{}: no folder for model {} in the sweep root", model_dir.string(), model);
  }
  const VariantDir original{root / eval::kOriginalFolder, std::string(eval::kOriginalFolder)};
  if (!fs::is_directory(original.dir, ec)) {
    fail("{}: {}: missing results folder", original.dir.string(), original.label);
  }

  std::map<int, std::string> found;  // layer -> folder name
  for (const auto& entry : fs::directory_iterator(model_dir)) {
    std::string name = entry.path().filename().string();
    int layer = eval::layer_of_folder(name, /*prefix_only=*/true);
    if (layer < 0) continue;
    auto [it, fresh] = found.emplace(layer, name);
    if (!fresh) {
      auto [a, b] = std::minmax(it->second, name);
      fail("{}: layer {}: two folders ({} and {}); remove one", model_dir.string(), layer, a, b);
    }
  }
  check_layers_complete(found, model_dir.string(), "layer<L> folders");
  std::vector<VariantDir> variants{original};
  for (const auto& [layer, name] : found) {
    const VariantDir v{model_dir / name, layer_label(layer)};
    if (!fs::is_directory(v.dir, ec)) fail("{}: {}: missing results folder", v.dir.string(), v.label);
    variants.push_back(v);
  }

  SweepResults results{model, root.string(), {}, {}};
  results.has_commonsense =
      needs_commonsense(mode) || std::any_of(variants.begin(), variants.end(), [](const VariantDir& v) {
        std::error_code e;
        return fs::exists(v.dir / suite_log_name(Suite::commonsense), e);
      });
  std::vector<Suite> read_suites{Suite::retrieval};
  if (results.has_commonsense) read_suites.push_back(Suite::commonsense);
  check_one_run(variants, read_suites);
  for (std::size_t i = 0; i < variants.size(); ++i) {
    VariantResults loaded{variants[i].label, {}, {}, variants[i].dir};
    if (results.has_commonsense) {
      loaded.commonsense = read_log(variants[i], Suite::commonsense, why_commonsense(mode));
    }
    loaded.retrieval = read_log(variants[i], Suite::retrieval, mode_needs(mode));
    if (i == 0) {
      results.original = std::move(loaded);
    } else {
      results.layers.push_back(std::move(loaded));
    }
  }
  return results;
}

SweepResults load_sweep_file(const fs::path& path, Mode mode) {
  const std::string where = path.string();
  nlohmann::ordered_json j = parse_rejecting_duplicates(read_file(path), where);
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) {
    fail("{}: not a halo sweep results file (\"format\" must be \"{}\")", where, kFormat);
  }
  if (!j.contains("version") || j["version"] != kVersion) {
    fail("{}: unsupported version {} (this halo reads version {})", where,
         j.contains("version") ? j["version"].dump() : "(none)", kVersion);
  }
  if (!j.contains("model") || !j["model"].is_string()) {
    fail("{}: \"model\" must be a string", where);
  }
  const std::string model = j["model"].get<std::string>();
  if (auto problem = eval::plain_name_problem(model)) {
    // The model names the output files: it must not lead out of the output folder.
    fail("{}: \"model\" {} is not a plain name: {}", where, nlohmann::json(model).dump(), *problem);
  }
  if (!j.contains("variants") || !j["variants"].is_object()) {
    fail("{}: \"variants\" must be an object", where);
  }
  SweepResults results{model, where, {}, {}};
  const auto& variants = j["variants"];
  // Variants are named as their folders are in the reference layout.
  const std::string original(eval::kOriginalFolder);
  if (!variants.contains(original)) fail("{}: {}: missing (variants.{})", where, original, original);

  std::map<int, std::string> found;
  for (const auto& [name, value] : variants.items()) {
    if (!value.is_object()) fail("{}: variants.{}: expected an object", where, name);
    if (name == original) continue;
    int layer = eval::layer_of_folder(name, /*prefix_only=*/false);
    if (layer < 0) fail("{}: variants.{}: expected \"original\" or \"layer<L>\"", where, name);
    if (!found.emplace(layer, name).second) {
      fail("{}: layer {}: two variants ({} and {})", where, layer, found[layer], name);
    }
  }
  check_layers_complete(found, where, "variants");
  results.has_commonsense =
      needs_commonsense(mode) || std::any_of(variants.begin(), variants.end(), [](const auto& v) {
        return v.contains(std::string(suite_name(Suite::commonsense)));
      });
  results.original = variant_from_json(variants[original], where, original, original,
                                       results.has_commonsense, mode);
  for (const auto& [layer, name] : found) {
    results.layers.push_back(variant_from_json(variants[name], where, name, layer_label(layer),
                                               results.has_commonsense, mode));
  }
  return results;
}

std::string sweep_file_text(const SweepResults& results) {
  std::string out = "{\n";
  out += fmt::format("  \"format\": \"{}\",\n  \"version\": {},\n  \"model\": {},\n", kFormat,
                     kVersion, nlohmann::json(results.model).dump());
  out += "  \"variants\": {\n";
  auto variant = [&](const std::string& name, const VariantResults& v, bool last) {
    out += fmt::format("    \"{}\": {{\n", name);
    if (results.has_commonsense) {
      out += fmt::format("      \"commonsense\": {},\n", suite_line(v.commonsense));
    }
    out += fmt::format("      \"retrieval\": {}\n", suite_line(v.retrieval));
    out += last ? "    }\n" : "    },\n";
  };
  variant(std::string(eval::kOriginalFolder), results.original, results.layers.empty());
  for (std::size_t l = 0; l < results.layers.size(); ++l) {
    variant(eval::layer_folder(static_cast<int>(l)), results.layers[l], l + 1 == results.layers.size());
  }
  return out + "  }\n}\n";
}

}  // namespace halo::select
