#include "select/reference_output.h"

#include <fmt/format.h>

#include <cmath>

namespace halo::select {

std::string python_float_repr(double value) {
  // fmt's "{}" and Python's repr agree on the digits and on when to use an exponent (below 1e-4
  // or from 1e16 on); Python alone marks integral values with ".0".
  std::string s = fmt::format("{}", value);
  if (std::isfinite(value) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string reference_table(const Ranking& r, const std::string& plot_path) {
  std::string out = "\nRank | Layer | Value\n-----|-------|----------------\n";
  for (std::size_t i = 0; i < r.order.size(); ++i) {
    const int layer = r.order[i];
    out += fmt::format("{:4d} | {:5d} | {:.10f}\n", i + 1, layer,
                       r.score[static_cast<std::size_t>(layer)]);
  }
  if (!r.has_sweep) {
    out += fmt::format("\xF0\x9F\x93\xA6 Baselines: none (score {} from {}, no sweep results)\n", r.proxy, r.source);
  } else if (r.averages.has_commonsense) {
    out += fmt::format("\xF0\x9F\x93\xA6 Commonsense baseline: {:.6f}\n", r.averages.cs_original);
  } else {
    out += "\xF0\x9F\x93\xA6 Commonsense baseline: none (no commonsense results)\n";
  }
  if (r.has_sweep) {
    out += fmt::format("\xF0\x9F\x93\xA6 Retrieval baseline:   {:.6f}\n", r.averages.rt_original);
  }
  out += fmt::format("\xF0\x9F\x93\x8A Saved plot \xE2\x86\x92 {}\n", plot_path);
  return out;
}

std::string averages_json(const std::vector<double>& values) {
  std::string contexts, numbers;
  for (std::size_t l = 0; l < values.size(); ++l) {
    const char* sep = l + 1 < values.size() ? ",\n" : "\n";
    contexts += fmt::format("        {}{}", l, sep);
    numbers += fmt::format("        {}{}", python_float_repr(values[l]), sep);
  }
  return "{\n    \"contexts\": [\n" + contexts + "    ],\n    \"values\": [\n" + numbers + "    ]\n}";
}

}  // namespace halo::select
