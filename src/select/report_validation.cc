#include "select/report_validation.h"

#include <fmt/format.h>

#include <algorithm>

#include "select/html_escape.h"

namespace halo::select {
std::string validation_section_html(const Ranking& r) {
  if (!r.validation) return "";
  const Validation& v = *r.validation;
  std::string h = "<h2 id=\"validation\">Validation: the hybrids of each selection</h2>\n";
  h += fmt::format(
      "<p class=\"meta\">k = {} of {} layers kept as attention, every other layer converted (what the "
      "next stage starts from), from <code>{}</code> in the sweep root. Best value per column in "
      "bold.</p>\n<ul class=\"meta\">\n",
      v.k, v.num_layers, "validation.json");
  for (const NamedSelection& s : v.selections) {
    h += fmt::format("<li><b>{}</b>: {} ({})</li>\n", html_escape(s.name), fmt::join(s.attention_layers, ", "),
                     html_escape(s.how));
  }
  h += "</ul>\n<table id=\"validation-table\">\n<tr><th style=\"text-align:left\">selection</th>"
       "<th>attention layers</th>";
  // "task/metric" on two lines, so that six task columns fit the page.
  for (const std::string& c : v.columns) {
    const std::size_t slash = c.find('/');
    h += slash == std::string::npos ? "<th>" + html_escape(c) + "</th>"
                                    : "<th>" + html_escape(c.substr(0, slash)) + "<br>" + html_escape(c.substr(slash + 1)) + "</th>";
  }
  h += "<th>commonsense</th><th>retrieval</th></tr>\n";
  const std::size_t columns = v.columns.size() + 2;
  std::vector<double> best(columns, -1);
  auto values_of = [&](const ValidatedHybrid& x) {
    std::vector<double> all = x.values;
    all.push_back(x.commonsense);
    all.push_back(x.retrieval);
    return all;
  };
  for (const ValidatedHybrid& x : v.hybrids) {
    const std::vector<double> all = values_of(x);
    for (std::size_t i = 0; i < columns; ++i) best[i] = std::max(best[i], all[i]);
  }
  auto row = [&](const ValidatedHybrid& x, const std::string& name, const std::string& layers, bool reference) {
    const bool halo = std::find(x.names.begin(), x.names.end(), "HALO") != x.names.end();
    std::string s = fmt::format("<tr{}><td style=\"text-align:left\">{}</td><td>{}</td>",
                                halo ? " class=\"kept\"" : "", html_escape(name), layers);
    const std::vector<double> all = values_of(x);
    for (std::size_t i = 0; i < columns; ++i) {
      const bool top = !reference && all[i] == best[i];
      s += fmt::format("<td>{}{:.4f}{}</td>", top ? "<b>" : "", all[i], top ? "</b>" : "");
    }
    return s + "</tr>\n";
  };
  for (const ValidatedHybrid& x : v.hybrids) {
    h += row(x, fmt::format("{}", fmt::join(x.names, " = ")), fmt::format("{}", fmt::join(x.attention_layers, ", ")),
             false);
  }
  h += row(v.original, "original (reference)", "all", true);
  return h + "</table>\n";
}

}  // namespace halo::select
