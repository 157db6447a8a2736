// results.json of a sweep variant: the "variant finished" mark. It records the input fingerprint of
// the run that produced the variant and a digest of every file the variant's folder holds (the
// logs and outcomes.jsonl), so a folder mixing files of two runs — two sweeps with different inputs
// on one root, or a killed rerun with changed inputs — is recognised by the sweep (and not taken as
// complete) and by `halo rank` (which refuses it). This module is the file's one reader and writer.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/sweep_layout.h"

namespace halo::eval {

inline constexpr std::string_view kVariantRecordFile = kResultsFile;  // sweep_layout.h

struct VariantRecord {
  std::string variant;                       // "original" / "layer 3"
  std::vector<int> converted_layers;
  std::string fingerprint;                   // the sweep's input fingerprint
  std::map<std::string, std::string> files;  // file name in the folder → digest
  nlohmann::json suites = nlohmann::json::object();  // suite name → eval results_json
  double seconds = 0;                        // wall time of the sweep run that finished it
};

std::string variant_record_text(const VariantRecord& record);

// The record in `text`, or nullopt when it is not one (unparseable, another format, a field missing
// or of the wrong type, a file name that is not a plain name).
std::optional<VariantRecord> parse_variant_record(std::string_view text);

// The record in `dir`, or nullopt when there is none or it is not one (unparseable, another format).
std::optional<VariantRecord> read_variant_record(const std::filesystem::path& dir);

// For readers that must not take a damaged record for none (`halo rank`): nullopt when `dir` has no
// results.json or one of another format (e.g. `halo eval --results-json`, written by hand into a
// folder); a results.json that is not JSON, or claims this format and cannot be read, throws
// halo::Error naming the file.
std::optional<VariantRecord> read_variant_record_or_fail(const std::filesystem::path& dir);

// 16 hex digits identifying a file's content.
std::string file_digest(const std::filesystem::path& path);

// What in `dir` does not match `record`: "" when every recorded file is there with its digest,
// else a short reason naming the first file that differs.
std::string check_variant_files(const std::filesystem::path& dir, const VariantRecord& record);

}  // namespace halo::eval
