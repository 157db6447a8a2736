#include "select/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "select/html_escape.h"
#include "select/hypenet_config.h"
#include "select/report_agreement.h"
#include "select/report_stability.h"
#include "select/report_validation.h"

namespace halo::select {
namespace {

constexpr const char* kLineColor = "#3b6ea8";
constexpr const char* kKeptColor = "#d9480f";
constexpr const char* kCommonsenseColor = "#5c940d";
constexpr const char* kRetrievalColor = "#1971c2";

// Round tick values covering [lo, hi]: a step of 1, 2 or 5 times a power of ten giving about
// five intervals, and the axis range widened to whole steps.
struct Axis {
  double lo, hi, step;
};
Axis nice_axis(double lo, double hi) {
  if (hi <= lo) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

std::string tick_label(double v, double step) {
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fmt::format("{:.{}f}", std::abs(v) < step / 1e6 ? 0.0 : v, decimals);
}

// The frame shared by both charts: plot area, horizontal grid with y labels, x ticks per layer.
struct Frame {
  double width, height, left, right, top, bottom;
  int layers;
  Axis y;
  double px(double layer) const {
    const double span = std::max(1, layers - 1);
    return left + (width - left - right) * (layer / span);
  }
  double py(double v) const { return top + (height - top - bottom) * (y.hi - v) / (y.hi - y.lo); }
  std::string grid(const std::string& y_title) const {
    std::string s;
    for (double v = y.lo; v <= y.hi + y.step / 2; v += y.step) {
      // The zero line is darker when negative values exist (it separates gains from losses).
      const bool zero = y.lo < 0 && std::abs(v) < y.step / 1e6;
      s += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\"/>"
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"12\" fill=\"#555\">{}"
          "</text>\n",
          left, py(v), width - right, py(v), zero ? "#999999" : "#e3e3e3", left - 8, py(v) + 4,
          tick_label(v, y.step));
    }
    const int every = layers <= 40 ? 1 : (layers <= 80 ? 2 : 5);
    for (int l = 0; l < layers; l += every) {
      s += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\" "
          "fill=\"#555\">{}</text>\n",
          px(l), height - bottom + 18, l);
    }
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#333\">"
        "layer</text>\n"
        "<text transform=\"translate(16 {:.1f}) rotate(-90)\" text-anchor=\"middle\" "
        "font-size=\"13\" fill=\"#333\">{}</text>\n",
        (left + width - right) / 2, height - 8, (top + height - bottom) / 2, html_escape(y_title));
    return s;
  }
};

std::string svg_open(double width, double height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n",
      width, height);
}

std::string importance_chart(const Ranking& r) {
  const int n = static_cast<int>(r.score.size());
  const std::set<int> kept(r.selection.attention_layers.begin(), r.selection.attention_layers.end());
  const auto [lo, hi] = std::minmax_element(r.score.begin(), r.score.end());
  Frame f{960, 420, 64, 24, 48, 48, n, nice_axis(std::min(0.0, *lo), *hi)};
  std::string s = svg_open(f.width, f.height);
  s += fmt::format(
      "<text x=\"{:.1f}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" "
      "fill=\"#222\">{} ({})</text>\n",
      f.width / 2, html_escape(r.model), html_escape(score_label(r)));
  s += f.grid("importance");
  std::string points;
  for (int l = 0; l < n; ++l) {
    points += fmt::format("{:.1f},{:.1f} ", f.px(l), f.py(r.score[static_cast<std::size_t>(l)]));
  }
  s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n",
                   points, kLineColor);
  for (int l = 0; l < n; ++l) {
    const double x = f.px(l), y = f.py(r.score[static_cast<std::size_t>(l)]);
    if (kept.count(l)) {
      s += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6.5\" fill=\"{}\" stroke=\"#fff\" "
          "stroke-width=\"1.5\"><title>layer {} (attention): {:.4f}</title></circle>\n"
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\" "
          "font-weight=\"bold\" fill=\"{}\">{}</text>\n",
          x, y, kKeptColor, l, r.score[static_cast<std::size_t>(l)], x, y - 11, kKeptColor, l);
    } else {
      s += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"><title>layer {}: {:.4f}</title>"
          "</circle>\n",
          x, y, kLineColor, l, r.score[static_cast<std::size_t>(l)]);
    }
  }
  s += fmt::format(
      "<circle cx=\"{0:.1f}\" cy=\"34\" r=\"6\" fill=\"{1}\"/><text x=\"{2:.1f}\" y=\"38\" "
      "font-size=\"12\" fill=\"#333\">attention layer (top {3})</text>\n",
      f.width - f.right - 170, kKeptColor, f.width - f.right - 160, r.selection.k);
  return s + "</svg>\n";
}

// Per-layer drop against the original model, in accuracy points (×100), as grouped bars; bars
// below zero are layers that scored above the original. Kept layers get a shaded band. Without
// commonsense results (jet-nemotron mode) only the retrieval bars are drawn.
std::string drops_chart(const Ranking& r) {
  const int n = static_cast<int>(r.score.size());
  const bool cs = r.averages.has_commonsense;
  std::vector<double> cs_drop(n), rt_drop(n);
  double lo = 0, hi = 0;
  for (int l = 0; l < n; ++l) {
    rt_drop[l] = 100 * (r.averages.rt_original - r.averages.rt[static_cast<std::size_t>(l)]);
    lo = std::min(lo, rt_drop[l]);
    hi = std::max(hi, rt_drop[l]);
    if (!cs) continue;
    cs_drop[l] = 100 * (r.averages.cs_original - r.averages.cs[static_cast<std::size_t>(l)]);
    lo = std::min(lo, cs_drop[l]);
    hi = std::max(hi, cs_drop[l]);
  }
  Frame f{960, 380, 64, 24, 40, 48, n, nice_axis(lo, hi)};
  // Bars need half a slot of room at both ends.
  const double slot = (f.width - f.left - f.right) / (n + 1);
  f.left += slot / 2;
  f.right += slot / 2;
  const double bar = std::min(12.0, slot * 0.38);
  std::string s = svg_open(f.width, f.height);
  for (int layer : r.selection.attention_layers) {
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#fff0e6\"/>\n",
        f.px(layer) - slot / 2, f.top, slot, f.height - f.top - f.bottom);
  }
  s += f.grid("drop vs original (points)");
  auto bars = [&](const std::vector<double>& v, double offset, const char* color, const char* what) {
    for (int l = 0; l < n; ++l) {
      const double y0 = f.py(0), y1 = f.py(v[l]);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>layer {} {} drop: {:.2f}</title></rect>\n",
          f.px(l) + offset, std::min(y0, y1), bar, std::max(0.5, std::abs(y1 - y0)), color, l,
          what, v[l]);
    }
  };
  if (cs) bars(cs_drop, -bar, kCommonsenseColor, "commonsense");
  bars(rt_drop, cs ? 0 : -bar / 2, kRetrievalColor, "retrieval");
  s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#888\"/>\n",
                   f.left - slot / 2, f.py(0), f.width - f.right + slot / 2, f.py(0));
  // The legend: commonsense (when drawn), retrieval, attention band, 140 pixels apart.
  const double x0 = cs ? f.left : f.left - 150;
  if (cs) {
    s += fmt::format(
        "<rect x=\"{0:.1f}\" y=\"14\" width=\"12\" height=\"12\" fill=\"{1}\"/>"
        "<text x=\"{2:.1f}\" y=\"24\" font-size=\"12\" fill=\"#333\">commonsense drop</text>",
        x0, kCommonsenseColor, x0 + 18);
  }
  s += fmt::format(
      "<rect x=\"{0:.1f}\" y=\"14\" width=\"12\" height=\"12\" fill=\"{1}\"/>"
      "<text x=\"{2:.1f}\" y=\"24\" font-size=\"12\" fill=\"#333\">retrieval drop</text>"
      "<rect x=\"{3:.1f}\" y=\"14\" width=\"12\" height=\"12\" fill=\"#fff0e6\" stroke=\"#e8c3a8\"/>"
      "<text x=\"{4:.1f}\" y=\"24\" font-size=\"12\" fill=\"#333\">attention layer</text>\n",
      x0 + 150, kRetrievalColor, x0 + 168, x0 + 290, x0 + 308);
  return s + "</svg>\n";
}

}  // namespace

std::string importance_svg(const Ranking& ranking) { return importance_chart(ranking); }

std::string report_html(const Ranking& r) {
  const int n = static_cast<int>(r.score.size());
  const std::set<int> kept(r.selection.attention_layers.begin(), r.selection.attention_layers.end());
  std::vector<int> rank_of(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) rank_of[static_cast<std::size_t>(r.order[static_cast<std::size_t>(i)])] = i + 1;
  const std::string layers_text = fmt::format("{}", fmt::join(r.selection.attention_layers, ", "));
  const std::string layers_attr = fmt::format("{}", fmt::join(r.selection.attention_layers, ","));

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += fmt::format("<title>halo rank: {}</title>\n", html_escape(r.model));
  h += R"(<style>
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto;
       max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #555; font-size: 13px; }
.selection { font-size: 18px; background: #fff0e6; border-left: 5px solid #d9480f;
             padding: 10px 14px; margin: 16px 0; }
.selection b { color: #d9480f; }
.warn { background: #fff9db; border-left: 5px solid #f59f00; padding: 8px 14px; }
figure { margin: 0; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 8px; text-align: right; }
th { background: #f4f4f4; }
tr.kept td { background: #fff0e6; font-weight: bold; }
td.loss { color: #c92a2a; } td.gain { color: #2b8a3e; }
</style>
</head>
<body>
)";
  h += fmt::format("<h1>Attention-layer selection: {}</h1>\n", html_escape(r.model));
  const bool cs = r.averages.has_commonsense;
  if (r.has_sweep) {
    h += fmt::format(
        "<p class=\"meta\">Mode {} &middot; {} layers &middot; source {}<br>Commonsense baseline "
        "(original model) {} &middot; retrieval baseline {:.6f}</p>\n",
        html_escape(score_label(r)), n, html_escape(r.source),
        cs ? fmt::format("{:.6f}", r.averages.cs_original) : std::string("none (no commonsense results)"),
        r.averages.rt_original);
  } else {
    h += probe_only_meta_html(r);  // report_agreement.cc
  }
  for (const AveragedRows* rows : {&r.averages.cs_rows, &r.averages.rt_rows}) {
    if (rows->original_extra.empty()) continue;
    h += fmt::format(
        "<p class=\"warn\">The original's baseline from {} averages all {} rows of that log (as "
        "layer_analysis.py does), {} more than each layer's {}: {}. Drops against the original "
        "compare different rows.</p>\n",
        html_escape(rows->original_source), rows->original.size(), rows->original_extra.size(),
        rows->layers.size(), html_escape(fmt::format("{}", fmt::join(rows->original_extra, ", "))));
  }
  h += fmt::format(
      "<p class=\"selection\" id=\"selection\" data-attention-layers=\"{}\">Attention layers "
      "(k = {}, {}): <b>{}</b></p>\n",
      layers_attr, r.selection.k, html_escape(r.selection.rule), layers_text);
  if (!r.selection.boundary_tie.empty()) {
    h += fmt::format(
        "<p class=\"warn\">Layers {} tie at the selection boundary; the tie rule (equal scores in "
        "ascending layer index) decided which were kept.</p>\n",
        fmt::join(r.selection.boundary_tie, ", "));
  }
  h += "<h2>Importance by layer</h2>\n<figure>\n" + importance_chart(r) + "</figure>\n";
  if (!r.has_sweep) return h + probe_only_table_html(r) + "</body>\n</html>\n";  // report_agreement.cc
  h += "<h2>Drop against the original model</h2>\n<figure>\n" + drops_chart(r) + "</figure>\n";
  h += "<h2>Per layer</h2>\n<table>\n<tr><th>layer</th><th>rank</th><th>score</th>"
       "<th>commonsense</th><th>cs drop (points)</th><th>retrieval</th>"
       "<th>rt drop (points)</th><th>mixer</th></tr>\n";
  // Same sign as the chart: a positive drop is a loss against the original model (red).
  auto delta_cell = [](double drop) {
    return fmt::format("<td class=\"{}\">{:+.2f}</td>", drop > 0 ? "loss" : "gain", drop);
  };
  for (int l = 0; l < n; ++l) {
    const auto i = static_cast<std::size_t>(l);
    const std::string cs_cells =
        cs ? fmt::format("<td>{:.4f}</td>{}", r.averages.cs[i],
                         delta_cell(100 * (r.averages.cs_original - r.averages.cs[i])))
           : std::string("<td>&ndash;</td><td>&ndash;</td>");
    h += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{:.4f}</td>{}<td>{:.4f}</td>{}"
                     "<td>{}</td></tr>\n",
                     kept.count(l) ? " class=\"kept\"" : "", l, rank_of[i], r.score[i], cs_cells,
                     r.averages.rt[i], delta_cell(100 * (r.averages.rt_original - r.averages.rt[i])),
                     kept.count(l) ? kAttentionMixer : kRnnMixer);
  }
  h += "</table>\n";
  if (r.agreement) h += agreement_section_html(*r.agreement, r.selection);  // report_agreement.cc
  h += stability_section_html(r);
  h += validation_section_html(r);
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace halo::select
