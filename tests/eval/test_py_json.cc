// Python's float repr and json.dumps, checked against what CPython 3.12 printed for the same values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "eval/py_json.h"

namespace halo::eval::py {
namespace {

TEST(PyJson, FloatReprMatchesCPython) {
  // repr() of each value as CPython printed it: fixed notation while the decimal point is within
  // 16 digits, exponent notation (two exponent digits at least) beyond.
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"},         {-12.5625, "-12.5625"},   {1.0, "1.0"},
      {100.0, "100.0"},     {1e16, "1e+16"},          {1e15, "1000000000000000.0"},
      {123456789012345678.0, "1.2345678901234568e+17"}, {1234567890123456.7, "1234567890123456.8"},
      {0.0001, "0.0001"},   {0.00001, "1e-05"},       {1.5e-7, "1.5e-07"},
      {-0.0, "-0.0"},       {5e-324, "5e-324"},       {0.30000000000000004, "0.30000000000000004"},
      {2.5e300, "2.5e+300"}, {1.0 / 3.0, "0.3333333333333333"}};
  for (const auto& [x, text] : cases) EXPECT_EQ(float_repr(x), text) << text;
  EXPECT_EQ(float_repr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(float_repr(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(float_repr(std::nan("")), "nan");
}

TEST(PyJson, DumpsLikeJsonDumpsWithEnsureAsciiFalse) {
  nlohmann::ordered_json value = {
      {"text", "a\"b\\c\nd\re\tf\bg\fh\x01\x1f\xC3\xA9\xE2\x82\xAC\x7F"},
      {"n", {1, -2, 1.5, 1e-05, nullptr, true, false, std::nan(""), std::numeric_limits<double>::infinity(),
             -std::numeric_limits<double>::infinity()}},
      {"e", nlohmann::ordered_json::object()},
      {"l", nlohmann::ordered_json::array()}};
  EXPECT_EQ(json_dumps(value),
            "{\"text\": \"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001\\u001f\xC3\xA9\xE2\x82\xAC\x7F\", "
            "\"n\": [1, -2, 1.5, 1e-05, null, true, false, NaN, Infinity, -Infinity], \"e\": {}, \"l\": []}");
}

TEST(PyJson, IndentedDumpKeepsKeyOrder) {
  nlohmann::ordered_json value = {{"a", {1, {{"b", nlohmann::ordered_json::array()}}, nlohmann::ordered_json::object()}},
                                  {"c", {{"d", "x"}}}};
  EXPECT_EQ(json_dumps(value, 2),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    },\n    {}\n  ],\n  \"c\": {\n    \"d\": \"x\"\n  }\n}");
  nlohmann::ordered_json order = {{"z", 1}, {"a", 2}};  // insertion order, not sorted
  EXPECT_EQ(json_dumps(order), "{\"z\": 1, \"a\": 2}");
}

}  // namespace
}  // namespace halo::eval::py
