// Python's text for numbers and JSON, where another tool's files must match byte for byte:
// lm-eval writes its results and samples files with json.dumps(..., ensure_ascii=False), stores
// log-likelihoods as str(float), and hashes json.dumps(doc, indent=2) (eval/lm_eval_output.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace halo::eval::py {

// repr(x) (= str(x)) of a Python float: the shortest digits that read back to x, fixed notation
// when the decimal point falls within 16 digits ("0.0001", "-12.5", "1.0",
// "1234567890123456.0"), otherwise exponent notation ("1e-05", "1.5e+16"); "inf", "-inf", "nan".
std::string float_repr(double x);

// json.dumps(value, ensure_ascii=False) with indent=None (separators ", " and ": ") when
// `indent` < 0, else indent=`indent` ("," at line ends, ": "). Objects keep their key order; floats
// print as float_repr, or NaN / Infinity / -Infinity as Python's encoder writes them; strings escape
// only '"', '\\' and the control characters below U+0020 (\n, \r, \t, \b, \f by name, the others as
// \u00XX); other UTF-8 is copied as is.
std::string json_dumps(const nlohmann::ordered_json& value, int indent = -1);

}  // namespace halo::eval::py
