#include "tools/cli/compare_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "tools/cli/svg_chart.h"
#include "tools/io/png_encode.h"

namespace lowp::cli {
namespace {

constexpr int kMaxChangedShown = 60;
constexpr int kHistogramBins = 21;

const char* kStyle = R"(<style>
body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}
.chart text{font-size:11px;fill:#333}.chart .bar{fill:#4a7bb7}.chart .axis{stroke:#333}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ccc;padding:6px;width:180px;
font-size:12px}.card img{width:96px;height:96px;object-fit:contain;image-rendering:pixelated;
display:block;margin:0 auto 4px}.meta{color:#555;font-size:13px}.bad{color:#b00}
</style>)";

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string label_of(const LabelledSet& set, int64_t c) {
  if (c >= 0 && c < static_cast<int64_t>(set.classes.size())) {
    return std::to_string(c) + " " + set.classes[static_cast<size_t>(c)];
  }
  return "#" + std::to_string(c);
}

std::string precision_table(const CompareReport& r) {
  const bool labelled = r.runs[0].summary.top1_accuracy >= 0;
  std::string s = "<table id=\"precisions\"><tr><th class=\"l\">precision</th><th>device</th>";
  if (labelled) s += "<th>top-1 accuracy</th>";
  s += "<th>top-1 = fp32</th><th>mean |&Delta;p|</th><th>max |&Delta;p|</th>"
       "<th>max |&Delta;logit|</th><th>plan MB</th><th>ms / batch of " +
       std::to_string(r.batch) + "</th></tr>";
  for (const ReportRun& run : r.runs) {
    const PrecisionSummary& m = run.summary;
    s += "<tr><td class=\"l\">" + html_escape(run.precision) + "</td><td>" +
         html_escape(run.device) + "</td>";
    if (labelled) s += "<td>" + fmt("%.2f%%", 100 * m.top1_accuracy) + "</td>";
    s += "<td>" + fmt("%.2f%%", 100 * m.top1_agreement) + "</td><td>" +
         fmt("%.5f", m.mean_abs_prob_change) + "</td><td>" + fmt("%.5f", m.max_abs_prob_change) +
         "</td><td>" + fmt("%.4f", m.max_abs_logit_diff) + "</td><td>" +
         fmt("%.2f", static_cast<double>(run.plan_bytes) / (1 << 20)) + "</td><td>" +
         fmt("%.2f", run.latency_ms) + "</td></tr>";
  }
  s += "</table>";
  for (const ReportRun& run : r.runs) {
    if (!run.note.empty())
      s += "<p class=\"meta\">" + html_escape(run.precision + ": " + run.note) + "</p>";
  }
  return s;
}

std::string probability_histograms(const CompareReport& r) {
  std::string s = "<h2 id=\"prob-change\">Change of fp32's top-1 probability</h2>";
  s += "<p class=\"meta\">Per image: this precision's probability of the class fp32 ranks first, "
       "minus fp32's.</p>";
  for (size_t k = 1; k < r.runs.size(); ++k) {
    const auto& images = r.runs[k].summary.images;
    double range = 1e-4;
    for (const ImageResult& i : images) range = std::max<double>(range, i.prob_change);
    range = std::pow(10.0, std::ceil(std::log10(range) * 4) / 4);  // a round bound
    std::vector<int64_t> counts(kHistogramBins, 0);
    for (const ImageResult& i : images) {
      const int bin = static_cast<int>((i.prob_delta + range) / (2 * range) * kHistogramBins);
      ++counts[static_cast<size_t>(std::clamp(bin, 0, kHistogramBins - 1))];
    }
    s += "<h3>" + html_escape(r.runs[k].precision) + "</h3>" +
         svg_histogram(counts, -range, range, "probability change");
  }
  return s;
}

std::string changed_images(const CompareReport& r) {
  const LabelledSet& set = *r.set;
  const auto& ref = r.runs[0].summary.images;
  std::string s = "<h2 id=\"changed\">Images whose top-1 changed</h2>";
  for (size_t k = 1; k < r.runs.size(); ++k) {
    const auto& images = r.runs[k].summary.images;
    std::vector<size_t> changed;
    for (size_t i = 0; i < images.size(); ++i) {
      if (images[i].top1 != ref[i].top1) changed.push_back(i);
    }
    std::sort(changed.begin(), changed.end(),
              [&](size_t a, size_t b) { return images[a].prob_change > images[b].prob_change; });
    s += "<h3>" + html_escape(r.runs[k].precision) + ": " + std::to_string(changed.size()) +
         " of " + std::to_string(images.size()) + "</h3><div class=\"cards\">";
    for (size_t n = 0; n < changed.size() && n < kMaxChangedShown; ++n) {
      const size_t i = changed[n];
      const std::string url = thumbnail_data_url(set.images[i], r.preprocessing, 96);
      s += "<div class=\"card\">";
      if (!url.empty()) s += "<img alt=\"\" src=\"" + url + "\">";
      s += html_escape(set.names[i].substr(set.names[i].find_last_of('/') + 1)) +
           "<br>fp32: " + html_escape(label_of(set, ref[i].top1)) +
           fmt(" (%.3f)", ref[i].top1_prob) + "<br><span class=\"bad\">" +
           html_escape(r.runs[k].precision) + ": " + html_escape(label_of(set, images[i].top1)) +
           fmt(" (%.3f)", images[i].top1_prob) + "</span>";
      if (set.labels[i] >= 0) s += "<br>label: " + html_escape(label_of(set, set.labels[i]));
      s += "</div>";
    }
    s += "</div>";
    if (changed.size() > kMaxChangedShown) {
      s += "<p class=\"meta\">and " + std::to_string(changed.size() - kMaxChangedShown) +
           " more (largest probability changes shown).</p>";
    }
  }
  return s;
}

// Rows by the label when images have labels, else by fp32's top-1; worst agreement first.
std::string per_class_table(const CompareReport& r) {
  const LabelledSet& set = *r.set;
  const auto& ref = r.runs[0].summary.images;
  const bool labelled = r.runs[0].summary.top1_accuracy >= 0;
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < ref.size(); ++i) {
    by_class[labelled ? set.labels[i] : ref[i].top1].push_back(i);
  }
  struct Row {
    int64_t cls;
    size_t n;
    std::vector<double> agree;
    double worst;
  };
  std::vector<Row> rows;
  for (const auto& [cls, members] : by_class) {
    Row row{cls, members.size(), {}, 1.0};
    for (size_t k = 1; k < r.runs.size(); ++k) {
      size_t same = 0;
      for (size_t i : members) same += r.runs[k].summary.images[i].top1 == ref[i].top1;
      row.agree.push_back(static_cast<double>(same) / static_cast<double>(members.size()));
      row.worst = std::min(row.worst, row.agree.back());
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.worst < b.worst; });
  std::string s =
      "<h2 id=\"per-class\">Per-class agreement with fp32</h2><p class=\"meta\">Classes by " +
      std::string(labelled ? "label" : "fp32's top-1") +
      ", worst first.</p><table id=\"classes\"><tr><th class=\"l\">class</th><th>images</th>";
  for (size_t k = 1; k < r.runs.size(); ++k)
    s += "<th>" + html_escape(r.runs[k].precision) + "</th>";
  s += "</tr>";
  for (const Row& row : rows) {
    s += "<tr><td class=\"l\">" + html_escape(row.cls < 0 ? "unlabelled" : label_of(set, row.cls)) +
         "</td><td>" + std::to_string(row.n) + "</td>";
    for (double a : row.agree)
      s += "<td" + std::string(a < 1 ? " class=\"bad\"" : "") + ">" + fmt("%.1f%%", 100 * a) +
           "</td>";
    s += "</tr>";
  }
  return s + "</table>";
}

std::string per_layer_charts(const CompareReport& r) {
  std::string s;
  for (size_t k = 1; k < r.runs.size(); ++k) {
    if (r.runs[k].layers.empty()) continue;
    if (s.empty()) {
      s = "<h2 id=\"per-layer\">Per-layer error against fp32 (first input)</h2><p class=\"meta\">"
          "SQNR in dB, higher is better; layers in graph order.</p>";
    }
    std::vector<Bar> bars;
    for (const LayerError& e : r.runs[k].layers) {
      bars.push_back({e.value + " (" + e.op + ")", std::isinf(e.sqnr_db) ? 999.0 : e.sqnr_db});
    }
    s += "<h3>" + html_escape(r.runs[k].precision) + "</h3>" + svg_bars(bars, " dB");
  }
  return s;
}

// The accuracy budget's ranking, most sensitive first.
std::string sensitivity_charts(const CompareReport& r) {
  std::string s;
  for (const ReportRun& run : r.runs) {
    if (run.sensitivity.empty()) continue;
    if (s.empty()) {
      s = "<h2 id=\"sensitivity\">Layer sensitivity</h2><p class=\"meta\">Relative squared "
          "error of the output with that layer alone in the reduced precision (the others in "
          "fp32), most sensitive first: the order in which <code>lowp compile "
          "--max-accuracy-drop</code> moves layers to fp32.</p>";
    }
    std::vector<Bar> bars;
    for (const LayerSensitivity& l : run.sensitivity) {
      bars.push_back({l.node + " (" + l.op + ")", l.error});
    }
    s += "<h3>" + html_escape(run.precision) + "</h3>" + svg_bars(bars, "", "%.3g");
  }
  return s;
}

}  // namespace

std::string thumbnail_data_url(const Tensor& image, const std::optional<Preprocessing>& pre,
                               int side) {
  if (image.rank() != 4 || image.dtype() != DataType::kF32) return "";
  const bool nhwc = pre && pre->layout == ImageLayout::kNhwc;
  const int64_t c = nhwc ? image.dims()[3] : image.dims()[1];
  const int64_t h = nhwc ? image.dims()[1] : image.dims()[2];
  const int64_t w = nhwc ? image.dims()[2] : image.dims()[3];
  if ((c != 1 && c != 3) || h < 1 || w < 1) return "";
  const float* x = image.data<float>();
  auto at = [&](int64_t ch, int64_t y, int64_t xx) {
    return nhwc ? x[(y * w + xx) * c + ch] : x[(ch * h + y) * w + xx];
  };
  float lo = 0, hi = 0;
  if (!pre) {
    const auto [mn, mx] = std::minmax_element(x, x + image.numel());
    lo = *mn;
    hi = std::max(*mx, lo + 1e-6f);
  }
  const int64_t step = std::max<int64_t>(1, (std::max(h, w) + side - 1) / side);
  const int oh = static_cast<int>(h / step), ow = static_cast<int>(w / step);
  if (oh < 1 || ow < 1) return "";
  std::vector<uint8_t> pixels(static_cast<size_t>(oh) * ow * 3);
  for (int y = 0; y < oh; ++y) {
    for (int xx = 0; xx < ow; ++xx) {
      for (int k = 0; k < 3; ++k) {
        const int64_t ch = c == 1 ? 0 : (pre && pre->color == ColorOrder::kBgr ? 2 - k : k);
        float v = at(ch, y * step, xx * step);
        v = pre ? (v * pre->std[ch] + pre->mean[ch]) / pre->range * 255.f
                : (v - lo) / (hi - lo) * 255.f;
        pixels[(static_cast<size_t>(y) * ow + xx) * 3 + k] =
            static_cast<uint8_t>(std::clamp(v + 0.5f, 0.f, 255.f));
      }
    }
  }
  return "data:image/png;base64," + io::base64(io::encode_png(pixels, ow, oh, 3));
}

std::string render_compare_report(const CompareReport& r) {
  const LabelledSet& set = *r.set;
  std::string s = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>lowp compare: " +
                  html_escape(r.model) + "</title>" + kStyle + "</head><body>";
  s += "<h1>lowp compare: " + html_escape(r.model) + "</h1><p class=\"meta\">" +
       std::to_string(set.images.size()) + " input" + (set.images.size() == 1 ? "" : "s") +
       " from " + html_escape(r.inputs) + "; preprocessing: " +
       html_escape(r.preprocessing ? to_string(*r.preprocessing) : "none (tensors as given)") +
       "</p>";
  for (const std::string& note : set.notes) s += "<p class=\"meta\">" + html_escape(note) + "</p>";
  s += "<h2 id=\"summary\">Precisions against fp32</h2>" + precision_table(r);
  if (r.runs.size() > 1) {
    s += probability_histograms(r) + changed_images(r) + per_class_table(r) + per_layer_charts(r) +
         sensitivity_charts(r);
  }
  return s + "</body></html>\n";
}

}  // namespace lowp::cli
