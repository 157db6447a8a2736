#include "eval/variant_record.h"

#include <fmt/format.h>

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

std::optional<VariantRecord> read_variant_record(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kVariantRecordFile;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat || j.value("version", 0) != kVersion) {
    return std::nullopt;
  }
  try {
    VariantRecord record;
    record.variant = j.at("variant").get<std::string>();
    record.converted_layers = j.at("converted_layers").get<std::vector<int>>();
    record.fingerprint = j.at("fingerprint").get<std::string>();
    record.files = j.at("files").get<std::map<std::string, std::string>>();
    record.suites = j.at("suites");
    if (!record.suites.is_object()) return std::nullopt;
    record.seconds = j.value("seconds", 0.0);
    return record;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
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
