#include "eval/variant_record.h"

#include <fmt/format.h>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/input_hash.h"

namespace halo::eval {

namespace {
constexpr const char* kFormat = "halo-sweep-variant";
constexpr int kVersion = 2;
}  // namespace

std::string variant_record_text(const VariantRecord& record) {
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (const auto& [name, digest] : record.files) files[name] = digest;
  nlohmann::ordered_json j = {{"format", kFormat},
                              {"version", kVersion},
                              {"variant", record.variant},
                              {"converted_layers", record.converted_layers},
                              {"fingerprint", record.fingerprint},
                              {"files", files},
                              {"suites", record.suites},
                              {"seconds", record.seconds}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<VariantRecord> parse_variant_record(std::string_view text) {
  if (json_nesting_overflow(text)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  // Compared as JSON values: value("format", "") would throw on a format that is not a string.
  if (j.is_discarded() || !j.is_object() || !j.contains("format") || j["format"] != kFormat ||
      !j.contains("version") || j["version"] != kVersion) {
    return std::nullopt;
  }
  try {
    VariantRecord record;
    record.variant = j.at("variant").get<std::string>();
    record.converted_layers = j.at("converted_layers").get<std::vector<int>>();
    record.fingerprint = j.at("fingerprint").get<std::string>();
    record.files = j.at("files").get<std::map<std::string, std::string>>();
    // File names are joined to the variant folder: a name leading out of it is not a record's.
    for (const auto& [name, digest] : record.files) {
      if (plain_name_problem(name)) return std::nullopt;
    }
    record.suites = j.at("suites");
    if (!record.suites.is_object()) return std::nullopt;
    if (j.contains("seconds") && !j["seconds"].is_number()) return std::nullopt;
    record.seconds = j.value("seconds", 0.0);
    return record;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<VariantRecord> read_variant_record(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kVariantRecordFile;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  return parse_variant_record(read_file(path));
}

std::optional<VariantRecord> read_variant_record_or_fail(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kVariantRecordFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: not a regular file", path.string());
  const std::string text = read_file(path);
  check_json_nesting(text, path.string());
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("{}: not valid JSON (a sweep writes it whole; delete it and run the sweep again)", path.string());
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) return std::nullopt;
  if (!j.contains("version") || j["version"] != kVersion) {
    fail("{}: sweep record version {} (this halo reads version {}); run the sweep again", path.string(),
         j.contains("version") ? j["version"].dump() : "(none)", kVersion);
  }
  std::optional<VariantRecord> record = parse_variant_record(text);
  if (!record) fail("{}: damaged sweep record (a field is missing or of the wrong type); run the sweep again", path.string());
  return record;
}

std::string file_digest(const std::filesystem::path& path) {
  InputHash hash;
  hash.add(read_file(path));
  return fmt::format("{:016x}", hash.value());
}

std::string check_variant_files(const std::filesystem::path& dir, const VariantRecord& record) {
  for (const auto& [name, digest] : record.files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(dir / name, ec)) return fmt::format("{} is missing", name);
    if (file_digest(dir / name) != digest) {
      return fmt::format("{} is not the file its {} recorded (written by another run)", name, kVariantRecordFile);
    }
  }
  return "";
}

}  // namespace halo::eval
