#include "select/validation_file.h"

#include <fmt/format.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::select {
namespace {

using J = nlohmann::ordered_json;
constexpr const char* kFormat = "halo-validation";
constexpr int kVersion = 1;

J hybrid_json(const ValidatedHybrid& h) {
  return J{{"names", h.names},     {"attention_layers", h.attention_layers}, {"folder", h.folder},
           {"values", h.values},   {"commonsense", h.commonsense},           {"retrieval", h.retrieval}};
}

// Typed access with one-line errors naming the file and the key path.
struct Reader {
  std::string path;
  const J& at(const J& object, const std::string& key, const std::string& where) const {
    if (!object.is_object() || !object.contains(key)) fail("{}: {}{}: missing", path, where, key);
    return object.at(key);
  }
  template <typename T>
  T get(const J& object, const std::string& key, const std::string& where) const {
    const J& value = at(object, key, where);
    try {
      T out = value.get<T>();
      if constexpr (std::is_same_v<T, double>) {
        if (!std::isfinite(out)) fail("{}: {}{}: not a finite number", path, where, key);
      }
      return out;
    } catch (const nlohmann::json::exception&) {
      fail("{}: {}{}: unexpected value {}", path, where, key, value.dump());
    }
  }
  ValidatedHybrid hybrid(const J& j, const std::string& where, std::size_t columns) const {
    ValidatedHybrid h;
    h.names = get<std::vector<std::string>>(j, "names", where);
    h.attention_layers = get<std::vector<int>>(j, "attention_layers", where);
    h.folder = get<std::string>(j, "folder", where);
    h.values = get<std::vector<double>>(j, "values", where);
    for (double v : h.values) {
      if (!std::isfinite(v)) fail("{}: {}values: not a finite number", path, where);
    }
    if (h.values.size() != columns) {
      fail("{}: {}values: {} values for {} columns", path, where, h.values.size(), columns);
    }
    h.commonsense = get<double>(j, "commonsense", where);
    h.retrieval = get<double>(j, "retrieval", where);
    return h;
  }
};

}  // namespace

std::string validation_file_text(const Validation& v) {
  J selections = J::array();
  for (const NamedSelection& s : v.selections) {
    selections.push_back(J{{"name", s.name}, {"attention_layers", s.attention_layers}, {"how", s.how}});
  }
  J hybrids = J::array();
  for (const ValidatedHybrid& h : v.hybrids) hybrids.push_back(hybrid_json(h));
  J j{{"format", kFormat},
      {"version", kVersion},
      {"model", v.model},
      {"num_layers", v.num_layers},
      {"k", v.k},
      {"seed", v.seed},
      {"selections", std::move(selections)},
      {"columns", v.columns},
      {"hybrids", std::move(hybrids)},
      {"original", hybrid_json(v.original)}};
  return j.dump(2) + "\n";
}

Validation read_validation_file(const std::filesystem::path& path) {
  const Reader r{path.string()};
  J j;
  try {
    j = J::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", r.path, e.what());
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) {
    fail("{}: not a halo validation file (\"format\" must be \"{}\")", r.path, kFormat);
  }
  if (r.get<int>(j, "version", "") != kVersion) {
    fail("{}: version: {} is not supported (this halo reads version {})", r.path, j["version"].dump(), kVersion);
  }
  Validation v;
  v.model = r.get<std::string>(j, "model", "");
  v.num_layers = r.get<int>(j, "num_layers", "");
  v.k = r.get<int>(j, "k", "");
  v.seed = r.get<std::uint64_t>(j, "seed", "");
  const J& selections = r.at(j, "selections", "");
  if (!selections.is_array()) fail("{}: selections: expected an array", r.path);
  for (std::size_t i = 0; i < selections.size(); ++i) {
    const std::string where = fmt::format("selections[{}].", i);
    v.selections.push_back({r.get<std::string>(selections[i], "name", where),
                            r.get<std::vector<int>>(selections[i], "attention_layers", where),
                            r.get<std::string>(selections[i], "how", where)});
  }
  v.columns = r.get<std::vector<std::string>>(j, "columns", "");
  const J& hybrids = r.at(j, "hybrids", "");
  if (!hybrids.is_array()) fail("{}: hybrids: expected an array", r.path);
  for (std::size_t i = 0; i < hybrids.size(); ++i) {
    v.hybrids.push_back(r.hybrid(hybrids[i], fmt::format("hybrids[{}].", i), v.columns.size()));
  }
  v.original = r.hybrid(r.at(j, "original", ""), "original.", v.columns.size());
  return v;
}

}  // namespace halo::select
