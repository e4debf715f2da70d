#include "tools/cli/svg_chart.h"

#include <algorithm>
#include <cstdio>

namespace lowp::cli {
namespace {

std::string num(double v, const char* format = "%.4g") {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string text(double x, double y, const std::string& s, const char* anchor = "middle") {
  return "<text x=\"" + num(x, "%.1f") + "\" y=\"" + num(y, "%.1f") + "\" text-anchor=\"" + anchor +
         "\">" + html_escape(s) + "</text>";
}

std::string rect(double x, double y, double w, double h, const char* css_class) {
  return "<rect class=\"" + std::string(css_class) + "\" x=\"" + num(x, "%.1f") + "\" y=\"" +
         num(y, "%.1f") + "\" width=\"" + num(std::max(w, 0.0), "%.1f") + "\" height=\"" +
         num(std::max(h, 0.0), "%.1f") + "\"/>";
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svg_histogram(const std::vector<int64_t>& counts, double lo, double hi,
                          const std::string& x_label) {
  const double width = 560, height = 220, left = 50, bottom = 40, top = 10;
  const double plot_w = width - left - 30, plot_h = height - bottom - top;
  const int64_t peak =
      counts.empty() ? 1 : std::max<int64_t>(1, *std::max_element(counts.begin(), counts.end()));
  std::string s = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  num(width) + "\" height=\"" + num(height) + "\" role=\"img\">";
  const double bin_w = counts.empty() ? plot_w : plot_w / static_cast<double>(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    const double h = plot_h * static_cast<double>(counts[i]) / static_cast<double>(peak);
    s += rect(left + bin_w * static_cast<double>(i) + 1, top + plot_h - h, bin_w - 2, h, "bar");
    if (counts[i] > 0) {
      s += text(left + bin_w * (static_cast<double>(i) + 0.5), top + plot_h - h - 2,
                std::to_string(counts[i]));
    }
  }
  s += "<line class=\"axis\" x1=\"" + num(left) + "\" y1=\"" + num(top + plot_h) + "\" x2=\"" +
       num(left + plot_w) + "\" y2=\"" + num(top + plot_h) + "\"/>";
  for (int t = 0; t <= 4; ++t) {
    const double x = left + plot_w * t / 4.0;
    s += text(x, top + plot_h + 14, num(lo + (hi - lo) * t / 4.0, "%+.3g"));
  }
  s += text(left + plot_w / 2, height - 6, x_label);
  s += "<text x=\"14\" y=\"" + num(top + plot_h / 2, "%.1f") +
       "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + num(top + plot_h / 2, "%.1f") +
       ")\">images</text>";
  return s + "</svg>";
}

std::string svg_bars(const std::vector<Bar>& bars, const std::string& unit, const char* format) {
  const double row = 16, label_w = 300, bar_w = 300, width = label_w + bar_w + 90;
  const double height = row * static_cast<double>(bars.size()) + 8;
  double peak = 1e-12;
  for (const Bar& b : bars) peak = std::max(peak, b.value);
  std::string s = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  num(width) + "\" height=\"" + num(height) + "\" role=\"img\">";
  for (size_t i = 0; i < bars.size(); ++i) {
    const double y = 4 + row * static_cast<double>(i);
    const double w = bar_w * std::max(bars[i].value, 0.0) / peak;
    s += text(label_w - 6, y + row - 4, bars[i].label.substr(0, 48), "end");
    s += rect(label_w, y + 2, w, row - 4, "bar");
    s += text(label_w + w + 4, y + row - 4, num(bars[i].value, format) + unit, "start");
  }
  return s + "</svg>";
}

}  // namespace lowp::cli
