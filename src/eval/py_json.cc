#include "eval/py_json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace halo::eval::py {
namespace {

void append_string(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append(std::string& out, const nlohmann::ordered_json& v, int indent, int depth) {
  auto newline = [&](int level) {
    out += '\n';
    out.append(size_t(indent * level), ' ');
  };
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::object: {
      if (v.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += indent < 0 ? ", " : ",";
        if (indent >= 0) newline(depth + 1);
        append_string(out, key);
        out += ": ";
        append(out, item, indent, depth + 1);
        first = false;
      }
      if (indent >= 0) newline(depth);
      out += '}';
      return;
    }
    case nlohmann::ordered_json::value_t::array: {
      if (v.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += indent < 0 ? ", " : ",";
        if (indent >= 0) newline(depth + 1);
        append(out, v[i], indent, depth + 1);
      }
      if (indent >= 0) newline(depth);
      out += ']';
      return;
    }
    case nlohmann::ordered_json::value_t::string: append_string(out, v.get_ref<const std::string&>()); return;
    case nlohmann::ordered_json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case nlohmann::ordered_json::value_t::number_integer: out += std::to_string(v.get<int64_t>()); return;
    case nlohmann::ordered_json::value_t::number_unsigned: out += std::to_string(v.get<uint64_t>()); return;
    case nlohmann::ordered_json::value_t::number_float: {
      double x = v.get<double>();
      if (std::isnan(x)) {
        out += "NaN";
      } else if (std::isinf(x)) {
        out += x > 0 ? "Infinity" : "-Infinity";
      } else {
        out += float_repr(x);
      }
      return;
    }
    default: out += "null"; return;  // null (and discarded, which never reaches here)
  }
}

}  // namespace

std::string float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  std::string sci(buf, end);  // d[.ddd]e±XX with the shortest round-trip digits
  size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  int exponent = std::atoi(sci.c_str() + e_pos + 1);
  int decpt = exponent + 1;  // x = 0.digits × 10^decpt
  int ndigits = static_cast<int>(digits.size());
  std::string out = std::signbit(x) ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(size_t(-decpt), '0') + digits;
    } else if (decpt >= ndigits) {
      out += digits + std::string(size_t(decpt - ndigits), '0') + ".0";
    } else {
      out += digits.substr(0, size_t(decpt)) + "." + digits.substr(size_t(decpt));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (ndigits > 1) out += "." + digits.substr(1);
  out += fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out;
}

std::string json_dumps(const nlohmann::ordered_json& value, int indent) {
  std::string out;
  append(out, value, indent, 0);
  return out;
}

}  // namespace halo::eval::py
