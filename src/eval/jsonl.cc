#include "eval/jsonl.h"

#include <fstream>
#include <new>
#include <string>

#include "base/json_nesting.h"
#include "base/error.h"

namespace halo::eval {

JsonRow::JsonRow(const nlohmann::ordered_json& value, const std::filesystem::path& file, size_t line,
                 std::string prefix)
    : value_(&value), file_(&file), line_(line), prefix_(std::move(prefix)) {}

void JsonRow::fail(std::string_view message) const {
  halo::fail("{}:{}: {}", file_->string(), line_, message);
}

std::string JsonRow::path_of(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

const nlohmann::ordered_json& JsonRow::field(std::string_view key, std::string_view expected) const {
  auto it = value_->find(key);
  if (it == value_->end()) fail(fmt::format("missing field '{}'", path_of(key)));
  if (it->is_null()) fail(fmt::format("field '{}' is null, expected {}", path_of(key), expected));
  return *it;
}

std::string JsonRow::string(std::string_view key) const {
  const auto& v = field(key, "a string");
  if (!v.is_string()) fail(fmt::format("field '{}' must be a string, got {}", path_of(key), v.type_name()));
  return v.get<std::string>();
}

std::vector<std::string> JsonRow::string_list(std::string_view key) const {
  const auto& v = field(key, "a list of strings");
  if (!v.is_array()) fail(fmt::format("field '{}' must be a list of strings, got {}", path_of(key), v.type_name()));
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      fail(fmt::format("field '{}[{}]' must be a string, got {}", path_of(key), i, v[i].type_name()));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

JsonRow JsonRow::object(std::string_view key) const {
  const auto& v = field(key, "an object");
  if (!v.is_object()) fail(fmt::format("field '{}' must be an object, got {}", path_of(key), v.type_name()));
  return JsonRow(v, *file_, line_, path_of(key));
}

namespace {

enum class LineRead { line, end, too_long };

// The next line of `in` without its '\n'; the last line may lack one.
LineRead next_line(std::streambuf& in, std::string& line, size_t max_bytes) {
  line.clear();
  for (int c = in.sbumpc(); c != std::char_traits<char>::eof(); c = in.sbumpc()) {
    if (c == '\n') return LineRead::line;
    if (line.size() == max_bytes) return LineRead::too_long;
    line.push_back(char(c));
  }
  return line.empty() ? LineRead::end : LineRead::line;
}

}  // namespace

size_t read_jsonl(const std::filesystem::path& file, std::optional<size_t> limit,
                  const std::function<void(const JsonRow&)>& row_fn, size_t max_line_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) halo::fail("{}: is a directory, not a dataset file", file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    halo::fail("{}: cannot open dataset file (see docs/data.md for how to export it)", file.string());
  }
  std::string text;
  size_t line_number = 0, rows = 0;
  try {
    for (;;) {
      const LineRead read = next_line(*in.rdbuf(), text, max_line_bytes);
      if (read == LineRead::end) break;
      ++line_number;
      if (read == LineRead::too_long) {
        halo::fail("{}:{}: line longer than {} bytes; no dataset row is that large", file.string(), line_number,
                   max_line_bytes);
      }
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (limit && rows >= *limit) {
        ++rows;  // counted for the total, not parsed
        continue;
      }
      check_json_nesting(text, fmt::format("{}:{}", file.string(), line_number));
      nlohmann::ordered_json value;
      try {
        value = nlohmann::ordered_json::parse(text);
      } catch (const nlohmann::ordered_json::exception& e) {  // parse_error, or out_of_range for 1e400
        halo::fail("{}:{}: invalid JSON: {}", file.string(), line_number, e.what());
      }
      if (!value.is_object()) {
        halo::fail("{}:{}: expected a JSON object per line, got {}", file.string(), line_number,
                   value.type_name());
      }
      row_fn(JsonRow(value, file, line_number));
      ++rows;
    }
  } catch (const std::bad_alloc&) {
    halo::fail("{}:{}: out of memory while reading this line ({} bytes)", file.string(), line_number, text.size());
  }
  HALO_CHECK(!in.bad(), "{}: read error", file.string());
  return rows;
}

}  // namespace halo::eval
