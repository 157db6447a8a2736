#include "select/report_agreement.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "select/html_escape.h"
#include "select/hypenet_config.h"

namespace halo::select {
namespace {

constexpr const char* kPointColor = "#3b6ea8";
constexpr const char* kKeptColor = "#d9480f";


std::string rho_text(double rho) { return std::isfinite(rho) ? fmt::format("{:+.3f}", rho) : "n/a"; }

// A value's position in [lo, hi] mapped to [a, b]; a constant score sits in the middle.
double scale(double v, double lo, double hi, double a, double b) {
  return hi > lo ? a + (b - a) * (v - lo) / (hi - lo) : (a + b) / 2;
}

// One panel: proxy score (x) against the reference score (y), each layer a labelled point, the
// reference's top k in the selection colour.
std::string scatter_svg(const ProxyAgreement& p, const Agreement& a) {
  const double w = 300, h = 260, left = 46, right = 12, top = 30, bottom = 40;
  const std::set<int> top_k(a.reference_order.begin(), a.reference_order.begin() + a.k);
  const auto [xlo, xhi] = std::minmax_element(p.score.begin(), p.score.end());
  const auto [ylo, yhi] = std::minmax_element(a.reference_score.begin(), a.reference_score.end());
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" class=\"scatter\" data-proxy=\"{2}\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"#ffffff\" stroke=\"#e3e3e3\"/>\n"
      "<text x=\"{3:.1f}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">"
      "{2} (&#961; {4})</text>\n",
      w, h, html_escape(p.proxy), w / 2, rho_text(p.spearman));
  s += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#999\"/>"
      "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\" stroke=\"#999\"/>\n"
      "<text x=\"{4:.1f}\" y=\"{5:.1f}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">{6} "
      "({7:.3g} &#8211; {8:.3g})</text>\n"
      "<text transform=\"translate(14 {9:.1f}) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\" "
      "fill=\"#333\">{10} ({11:.3g} &#8211; {12:.3g})</text>\n",
      left, h - bottom, w - right, top, (left + w - right) / 2, h - 12, html_escape(p.proxy), *xlo, *xhi,
      (top + h - bottom) / 2, html_escape(a.reference), *ylo, *yhi);
  for (size_t l = 0; l < p.score.size(); ++l) {
    const double x = scale(p.score[l], *xlo, *xhi, left + 8, w - right - 8);
    const double y = scale(a.reference_score[l], *ylo, *yhi, h - bottom - 8, top + 8);
    const bool kept = top_k.count(int(l)) > 0;
    s += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"><title>layer {}: {} {:.6g}, {} {:.6g}</title>"
        "</circle><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"9\" fill=\"#555\">{}</text>\n",
        x, y, kept ? 5 : 3.5, kept ? kKeptColor : kPointColor, l, html_escape(p.proxy), p.score[l],
        html_escape(a.reference), a.reference_score[l], x + 5, y - 4, l);
  }
  return s + "</svg>\n";
}

std::string top_layers(const std::vector<int>& order, int k) {
  std::vector<int> top(order.begin(), order.begin() + k);
  std::sort(top.begin(), top.end());
  return fmt::format("{}", fmt::join(top, ", "));
}

}  // namespace

std::string agreement_section_html(const Agreement& a, const Selection&) {
  std::string h = fmt::format(
      "<h2 id=\"agreement\">Agreement of the probe's proxies with {0}</h2>\n"
      "<p class=\"meta\">Proxy scores from {1} (halo probe). Spearman's &#961; between each proxy's per-layer "
      "score and {0}'s (tied scores share their average rank); top-{2} overlap: how many of the proxy's "
      "{2} highest-scoring layers are among {0}'s {2} ({0}'s: {3}).</p>\n"
      "<table class=\"agreement\">\n<tr><th>proxy</th><th>Spearman &#961;</th><th>top-{2} overlap</th>"
      "<th>proxy's top {2}</th></tr>\n",
      html_escape(a.reference), html_escape(a.probe_file.string()), a.k, top_layers(a.reference_order, a.k));
  for (const ProxyAgreement& p : a.proxies) {
    h += fmt::format("<tr data-proxy=\"{0}\"><td>{0}</td><td>{1}</td><td>{2}/{3}</td><td>{4}</td></tr>\n",
                     html_escape(p.proxy), rho_text(p.spearman), p.overlap, a.k, top_layers(p.order, a.k));
  }
  h += "</table>\n<figure class=\"scatter\">\n";
  for (const ProxyAgreement& p : a.proxies) h += scatter_svg(p, a);
  h += fmt::format("<figcaption class=\"meta\">Each point a layer: proxy score across, {} score up; {}'s top {} "
                   "in orange.</figcaption>\n</figure>\n",
                   html_escape(a.reference), html_escape(a.reference), a.k);
  return h;
}

std::string probe_only_meta_html(const Ranking& r) {
  return fmt::format(
      "<p class=\"meta\">Score {} &middot; {} layers &middot; source {} (halo probe; no sweep results, so no "
      "drops against the original model)</p>\n",
      html_escape(r.proxy), r.score.size(), html_escape(r.source));
}

std::string probe_only_table_html(const Ranking& r) {
  const std::set<int> kept(r.selection.attention_layers.begin(), r.selection.attention_layers.end());
  std::vector<int> rank_of(r.score.size());
  for (size_t i = 0; i < r.order.size(); ++i) rank_of[size_t(r.order[i])] = int(i) + 1;
  std::string h = fmt::format("<h2>Per layer</h2>\n<table>\n<tr><th>layer</th><th>rank</th><th>{}</th>"
                              "<th>mixer</th></tr>\n",
                              html_escape(r.proxy));
  for (size_t l = 0; l < r.score.size(); ++l) {
    const bool k = kept.count(int(l)) > 0;
    h += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{:.6g}</td><td>{}</td></tr>\n", k ? " class=\"kept\"" : "", l,
                     rank_of[l], r.score[l], k ? kAttentionMixer : kRnnMixer);
  }
  return h + "</table>\n";
}

}  // namespace halo::select
