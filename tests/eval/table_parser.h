// layer_analysis.py's table reader (spec §7.3), for tests: the same regex through PCRE2 with
// Python 3's Unicode classes, the same carry-over of the task name to rows with an empty task cell.
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace halo::eval::testing {

// task → [(context, value)] in table order; context = int(metric) when the metric is a number, else 0.
inline std::map<std::string, std::vector<std::pair<int, double>>> parse_lm_eval_table(const std::string& text) {
  static const char* kPattern =
      R"(\|(?P<task>[^|]+)\s*\|\s*(?P<version>\d*)\s*\|[^|]*\|\s*\d+\s*\|(?P<context>[\w\d]*)\s*\|↑\s*\|\s*(?P<value>[-+]?\d+(?:\.\d+)?))";
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                 &error, &offset, nullptr);
  if (!re) throw std::runtime_error("bad pattern");
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
  auto group = [&](const std::string& line, const char* name) {
    PCRE2_UCHAR* out = nullptr;
    PCRE2_SIZE len = 0;
    pcre2_substring_get_byname(md, reinterpret_cast<PCRE2_SPTR>(name), &out, &len);
    std::string s(reinterpret_cast<const char*>(out), len);
    pcre2_substring_free(out);
    (void)line;
    return s;
  };
  auto strip = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };

  std::map<std::string, std::vector<std::pair<int, double>>> out;
  std::string current;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (strip(line).rfind("|", 0) != 0) continue;
    int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(line.c_str()), line.size(), 0, 0, md, nullptr);
    if (rc < 0) continue;
    std::string task = strip(group(line, "task"));
    if (!task.empty()) current = task;
    if (current.empty()) continue;
    std::string metric = group(line, "context");
    bool numeric = !metric.empty() && metric.find_first_not_of("0123456789") == std::string::npos;
    double value = std::stod(group(line, "value"));
    if (value >= 0) out[current].emplace_back(numeric ? std::stoi(metric) : 0, value);
  }
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return out;
}

}  // namespace halo::eval::testing
