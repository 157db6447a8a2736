// Dataset rows from JSON Lines files in the HF row schema. Every problem with a row (bad JSON,
// missing field, wrong type, bad value) is a one-line halo::Error "FILE:LINE: ...".
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace halo::eval {

// One JSON object at a known file and line (keys in file order); nested objects keep the dotted path for messages.
class JsonRow {
 public:
  JsonRow(const nlohmann::ordered_json& value, const std::filesystem::path& file, size_t line,
          std::string prefix = {});

  std::string string(std::string_view key) const;
  std::vector<std::string> string_list(std::string_view key) const;
  JsonRow object(std::string_view key) const;

  const nlohmann::ordered_json& json() const { return *value_; }
  [[noreturn]] void fail(std::string_view message) const;

 private:
  const nlohmann::ordered_json& field(std::string_view key, std::string_view expected) const;
  std::string path_of(std::string_view key) const;

  const nlohmann::ordered_json* value_;
  const std::filesystem::path* file_;
  size_t line_;
  std::string prefix_;
};

// No dataset row comes near this (the largest, a RULER prompt dumped by lm-eval, is ~100 KB): a
// longer line is refused before it is held in memory.
inline constexpr size_t kMaxJsonlLineBytes = size_t(64) << 20;

// Calls `row_fn` for every non-blank line of `file`, in order, stopping after `limit` rows; returns
// the number of non-blank lines in the whole file (rows past the limit are counted, not parsed).
// Objects keep the file's key order (the dataset's column order). A missing file is an error
// naming it and pointing at docs/data.md; a line longer than `max_line_bytes`, and running out of
// memory while reading or converting a row, are errors naming the file and the line.
size_t read_jsonl(const std::filesystem::path& file, std::optional<size_t> limit,
                  const std::function<void(const JsonRow&)>& row_fn, size_t max_line_bytes = kMaxJsonlLineBytes);

}  // namespace halo::eval
