#include "eval/lm_eval_diff.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.h"
#include "eval/metrics.h"
#include "eval/py_json.h"
#include "eval/py_string.h"

namespace halo::eval {
namespace {

// Aggregated and per-document metric values agree up to summation-order noise: equal decisions
// give equal sums in the same order, so anything beyond this is a real difference.
constexpr double kMetricTolerance = 1e-9;

bool metric_equal(double a, double b) { return a == b || std::fabs(a - b) <= kMetricTolerance; }

std::string number(double v) { return py::float_repr(v); }

// A short Python repr of the text around the first difference of `a` and `b`.
std::string excerpt_pair(const std::string& a, const std::string& b) {
  size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  while (at > 0 && (static_cast<unsigned char>(a[at]) & 0xC0) == 0x80) --at;  // start of a character
  size_t from = at > 20 ? at - 20 : 0;
  while (from > 0 && (static_cast<unsigned char>(a[from]) & 0xC0) == 0x80) --from;
  auto cut = [&](const std::string& s) {
    std::string part = s.substr(std::min(from, s.size()), 60);
    while (!part.empty() && (static_cast<unsigned char>(part.back()) & 0xC0) == 0x80) part.pop_back();
    if (!part.empty() && (static_cast<unsigned char>(part.back()) & 0x80)) part.pop_back();
    return (from > 0 ? "…" : "") + py::repr(part) + (from + 60 < s.size() ? "…" : "");
  };
  return fmt::format("at byte {}: {} vs {}", at, cut(a), cut(b));
}

struct DocFindings {
  std::vector<std::string> differences;
  size_t ll_within = 0;        // log-likelihoods unequal but within the tolerance
  double ll_within_max = 0;    // the largest such |difference|
};

void compare_requests(const LmEvalSample& a, const LmEvalSample& b, const LmEvalTask& task,
                      const LmEvalDiffOptions& options, DocFindings& f) {
  if (a.requests.size() != b.requests.size()) {
    f.differences.push_back(fmt::format("{} requests vs {}", a.requests.size(), b.requests.size()));
    return;
  }
  const bool choice = task.output_type == "multiple_choice";
  for (size_t i = 0; i < a.requests.size(); ++i) {
    const LmEvalRequest& ra = a.requests[i];
    const LmEvalRequest& rb = b.requests[i];
    std::string which = choice ? fmt::format("choice {}", i) : "the prompt";
    if (ra.context != rb.context) f.differences.push_back(fmt::format("context of {} {}", which, excerpt_pair(ra.context, rb.context)));
    if (ra.second != rb.second) {
      if (ra.second.is_string() && rb.second.is_string()) {
        f.differences.push_back(fmt::format("continuation of {}: {} vs {}", which, py::repr(ra.second.get<std::string>()),
                                            py::repr(rb.second.get<std::string>())));
      } else {
        f.differences.push_back(fmt::format("generation arguments {} vs {}", py::json_dumps(ra.second), py::json_dumps(rb.second)));
      }
    }
  }
  if (choice) {
    std::vector<double> la, lb, na, nb;
    for (size_t i = 0; i < a.requests.size(); ++i) {
      double x = *a.requests[i].loglikelihood, y = *b.requests[i].loglikelihood;
      la.push_back(x);
      lb.push_back(y);
      // process_results' completion_len: len(choice), the continuation without the delimiter.
      auto choice_len = [&](const LmEvalRequest& r) {
        std::string cont = r.second.is_string() ? r.second.get<std::string>() : "";
        if (cont.starts_with(task.target_delimiter)) cont = cont.substr(task.target_delimiter.size());
        return double(py::len(cont));
      };
      na.push_back(x / choice_len(a.requests[i]));
      nb.push_back(y / choice_len(b.requests[i]));
      bool same = x == y || (std::isnan(x) && std::isnan(y));
      double diff = std::fabs(x - y);
      if (!same) {
        double tolerance = options.ll_tolerance + bf16_spacing(std::max(std::fabs(x), std::fabs(y)));
        if (diff <= tolerance) {
          ++f.ll_within;
          f.ll_within_max = std::max(f.ll_within_max, diff);
        } else {
          f.differences.push_back(fmt::format("log-likelihood of choice {} {} vs {}", i, number(x), number(y)));
        }
      }
      if (*a.requests[i].is_greedy != *b.requests[i].is_greedy) {
        f.differences.push_back(fmt::format("is_greedy of choice {} {} vs {}", i, *a.requests[i].is_greedy ? "True" : "False",
                                            *b.requests[i].is_greedy ? "True" : "False"));
      }
    }
    // numpy.argmax (metrics.h): the first NaN, else the first maximum.
    if (argmax(la) != argmax(lb)) f.differences.push_back(fmt::format("prediction {} vs {}", argmax(la), argmax(lb)));
    if (argmax(na) != argmax(nb)) f.differences.push_back(fmt::format("prediction_norm {} vs {}", argmax(na), argmax(nb)));
  } else {
    for (size_t i = 0; i < a.requests.size(); ++i) {
      if (*a.requests[i].text != *b.requests[i].text) {
        f.differences.push_back(fmt::format("generated text {} vs {}", py::repr(*a.requests[i].text), py::repr(*b.requests[i].text)));
      }
    }
  }
}

DocFindings compare_doc(const LmEvalSample& a, const LmEvalSample& b, const LmEvalTask& task, const LmEvalDiffOptions& options) {
  DocFindings f;
  if (a.doc != b.doc) {
    std::vector<std::string> keys;
    if (a.doc.is_object() && b.doc.is_object()) {
      for (const auto& [key, value] : a.doc.items()) {
        if (!b.doc.contains(key) || b.doc[key] != value) keys.push_back(key);
      }
      for (const auto& [key, value] : b.doc.items()) {
        if (!a.doc.contains(key)) keys.push_back(key);
      }
    }
    f.differences.push_back(keys.empty() ? std::string("document differs (field order)")
                                         : fmt::format("document field(s) {} differ", fmt::join(keys, ", ")));
  } else if (a.doc_hash != b.doc_hash) {
    f.differences.push_back("doc_hash differs for the same document");
  }
  if (a.target != b.target) {
    f.differences.push_back(fmt::format("target {} vs {}", py::repr(a.target), py::repr(b.target)));
  } else if (a.target_hash != b.target_hash) {
    f.differences.push_back("target_hash differs for the same target");
  }
  if (a.prompt_hash != b.prompt_hash && !a.requests.empty() && !b.requests.empty() &&
      a.requests[0].context == b.requests[0].context) {
    f.differences.push_back("prompt_hash differs for the same prompt");
  }
  compare_requests(a, b, task, options, f);
  std::map<std::string, double> mb(b.metrics.begin(), b.metrics.end());
  std::set<std::string> seen;
  for (const auto& [name, value] : a.metrics) {
    seen.insert(name);
    auto it = mb.find(name);
    if (it == mb.end()) {
      f.differences.push_back(fmt::format("metric {} only in lm-eval", name));
    } else if (!metric_equal(value, it->second)) {
      f.differences.push_back(fmt::format("{} {} vs {}", name, number(value), number(it->second)));
    }
  }
  for (const auto& [name, value] : b.metrics) {
    if (!seen.count(name)) f.differences.push_back(fmt::format("metric {} only in halo", name));
  }
  return f;
}

std::string id_list(const std::vector<int64_t>& ids) {
  std::vector<int64_t> shown(ids.begin(), ids.begin() + std::ptrdiff_t(std::min<size_t>(ids.size(), 10)));
  return fmt::format("{}{}", fmt::join(shown, ", "), ids.size() > 10 ? ", …" : "");
}

void compare_task(const LmEvalTask& a, const LmEvalTask& b, const LmEvalDiffOptions& options, LmEvalDiff& out) {
  std::string& r = out.report;
  if (a.output_type != b.output_type) {
    r += fmt::format("{}: output_type {} vs {}\n", a.name, a.output_type, b.output_type);
    ++out.metrics_differing;
    return;
  }
  // Metrics.
  std::vector<std::string> metric_lines;
  bool metrics_agree = true;
  std::map<std::string, double> mb(b.metrics.begin(), b.metrics.end());
  std::set<std::string> names;
  for (const auto& [name, v] : a.metrics) names.insert(name);
  for (const auto& [name, v] : b.metrics) names.insert(name);
  std::map<std::string, double> ma(a.metrics.begin(), a.metrics.end());
  for (const auto& name : names) {
    auto ia = ma.find(name), ib = mb.find(name);
    if (ia == ma.end() || ib == mb.end()) {
      metric_lines.push_back(fmt::format("{} only in {}", name, ia == ma.end() ? "halo" : "lm-eval"));
      metrics_agree = false;
      ++out.metrics_differing;
      continue;
    }
    if (metric_equal(ia->second, ib->second)) {
      metric_lines.push_back(fmt::format("{} {} (both)", name, number(ia->second)));
    } else {
      metric_lines.push_back(fmt::format("{} {} vs {} (halo - lm-eval = {:+.6f})", name, number(ia->second),
                                         number(ib->second), ib->second - ia->second));
      metrics_agree = false;
      ++out.metrics_differing;
    }
  }
  // Documents, matched by doc_id.
  std::map<int64_t, const LmEvalSample*> db;
  for (const auto& s : b.samples) db[s.doc_id] = &s;
  std::vector<std::string> doc_lines;
  std::vector<int64_t> only_a, only_b;
  size_t within = 0, differing = 0;
  double within_max = 0;
  std::set<int64_t> matched;
  std::vector<const LmEvalSample*> sorted_a;
  for (const auto& s : a.samples) sorted_a.push_back(&s);
  std::sort(sorted_a.begin(), sorted_a.end(), [](auto x, auto y) { return x->doc_id < y->doc_id; });
  for (const LmEvalSample* s : sorted_a) {
    auto it = db.find(s->doc_id);
    if (it == db.end()) {
      only_a.push_back(s->doc_id);
      continue;
    }
    matched.insert(s->doc_id);
    DocFindings f = compare_doc(*s, *it->second, a, options);
    within += f.ll_within;
    within_max = std::max(within_max, f.ll_within_max);
    if (!f.differences.empty()) {
      ++differing;
      doc_lines.push_back(fmt::format("  doc {} (lm-eval line {}, halo line {}): {}\n", s->doc_id, s->line, it->second->line,
                                      fmt::join(f.differences, "; ")));
    }
  }
  for (const auto& [id, s] : db) {
    if (!matched.count(id)) only_b.push_back(id);
  }
  differing += only_a.size() + only_b.size();
  out.docs_differing += differing;

  r += fmt::format("{}: metrics {}: {}\n", a.name, metrics_agree ? "agree" : "DIFFER", fmt::join(metric_lines, ", "));
  r += fmt::format("{}: documents: {} compared, {}\n", a.name, matched.size(),
                   differing == 0 ? std::string("all agree") : fmt::format("{} differ", differing));
  for (const auto& line : doc_lines) r += line;
  if (!only_a.empty()) r += fmt::format("  {} document(s) only in lm-eval: doc_id {}\n", only_a.size(), id_list(only_a));
  if (!only_b.empty()) r += fmt::format("  {} document(s) only in halo: doc_id {}\n", only_b.size(), id_list(only_b));
  if (within > 0) {
    r += fmt::format("  note: {} log-likelihood(s) differ within the bf16 tolerance (largest difference {})\n", within,
                     number(within_max));
  }
}

}  // namespace

double bf16_spacing(double x) {
  x = std::fabs(x);
  if (x == 0 || !std::isfinite(x)) return 0;
  return std::ldexp(1.0, std::ilogb(x) - 7);
}

LmEvalDiff diff_lm_eval_outputs(const LmEvalOutput& reference, const LmEvalOutput& candidate,
                                const LmEvalDiffOptions& options) {
  LmEvalDiff out;
  out.report = fmt::format("lm-eval: {}\nhalo:    {}\n", reference.dir.string(), candidate.dir.string());
  std::map<std::string, const LmEvalTask*> a, b;
  for (const auto& t : reference.tasks) a[t.name] = &t;
  for (const auto& t : candidate.tasks) b[t.name] = &t;
  std::set<std::string> names;
  if (options.tasks.empty()) {
    for (const auto& [n, t] : a) names.insert(n);
    for (const auto& [n, t] : b) names.insert(n);
  } else {
    for (const auto& n : options.tasks) {
      HALO_CHECK(a.count(n) || b.count(n), "--tasks: task '{}' is in neither output", n);
      names.insert(n);
    }
  }
  for (const auto& name : names) {
    auto ia = a.find(name), ib = b.find(name);
    if (ia == a.end() || ib == b.end()) {
      out.report += fmt::format("{}: only in {}\n", name, ia == a.end() ? "halo" : "lm-eval");
      ++out.tasks_missing;
      continue;
    }
    compare_task(*ia->second, *ib->second, options, out);
  }
  out.report += out.agree()
                    ? std::string("lm-eval-diff: the outputs agree\n")
                    : fmt::format("lm-eval-diff: the outputs DIFFER ({} task(s) in one output only, {} metric(s), "
                                  "{} document(s))\n",
                                  out.tasks_missing, out.metrics_differing, out.docs_differing);
  return out;
}

}  // namespace halo::eval
