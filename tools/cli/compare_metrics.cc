#include "tools/cli/compare_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <span>

#include "reference/reference_executor.h"
#include "tools/io/classify.h"

namespace lowp::cli {

PrecisionSummary summarise(const Tensor& logits, const Tensor& fp32_logits,
                           const std::vector<int64_t>& labels) {
  PrecisionSummary s;
  const int64_t n = logits.dims()[0];
  const int64_t classes = logits.dims()[1];
  int64_t agree = 0, labelled = 0, correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::span<const float> x(logits.data<float>() + i * classes, static_cast<size_t>(classes));
    std::span<const float> r(fp32_logits.data<float>() + i * classes, static_cast<size_t>(classes));
    std::vector<float> p = io::softmax(x);
    std::vector<float> pr = io::softmax(r);
    ImageResult img;
    img.top1 = std::max_element(x.begin(), x.end()) - x.begin();
    const int64_t ref_top1 = std::max_element(r.begin(), r.end()) - r.begin();
    img.top1_prob = p[static_cast<size_t>(img.top1)];
    img.prob_delta = p[static_cast<size_t>(ref_top1)] - pr[static_cast<size_t>(ref_top1)];
    img.prob_change = std::fabs(img.prob_delta);
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
      float d = std::fabs(x[static_cast<size_t>(c)] - r[static_cast<size_t>(c)]);
      img.max_abs_logit_diff = std::max(img.max_abs_logit_diff, d);
      sum += d;
    }
    img.mean_abs_logit_diff = static_cast<float>(sum / static_cast<double>(classes));
    agree += img.top1 == ref_top1;
    if (i < static_cast<int64_t>(labels.size()) && labels[static_cast<size_t>(i)] >= 0) {
      ++labelled;
      correct += img.top1 == labels[static_cast<size_t>(i)];
    }
    s.mean_abs_prob_change += img.prob_change;
    s.max_abs_prob_change = std::max<double>(s.max_abs_prob_change, img.prob_change);
    s.max_abs_logit_diff = std::max<double>(s.max_abs_logit_diff, img.max_abs_logit_diff);
    s.mean_abs_logit_diff += img.mean_abs_logit_diff;
    s.images.push_back(img);
  }
  s.top1_agreement = n ? static_cast<double>(agree) / static_cast<double>(n) : 1.0;
  s.mean_abs_prob_change /= std::max<int64_t>(n, 1);
  s.mean_abs_logit_diff /= std::max<int64_t>(n, 1);
  if (labelled) s.top1_accuracy = static_cast<double>(correct) / static_cast<double>(labelled);
  return s;
}

namespace {

// Real values of `t` as produced by value `v` (dequantized when v carries QuantParams).
std::vector<double> real_values(const Tensor& t, const Value* v) {
  std::vector<float> raw = t.to_float();
  std::vector<double> out(raw.begin(), raw.end());
  if (!v || !v->quant || v->quant->scales.empty()) return out;
  const QuantParams& q = *v->quant;
  int64_t channels = q.axis >= 0 && q.axis < t.rank() ? t.dims()[static_cast<size_t>(q.axis)] : 1;
  int64_t inner = 1;
  for (int64_t d = q.axis + 1; q.axis >= 0 && d < t.rank(); ++d)
    inner *= t.dims()[static_cast<size_t>(d)];
  for (size_t i = 0; i < out.size(); ++i) {
    size_t c = channels > 1 && q.scales.size() > 1
                   ? (i / static_cast<size_t>(inner)) % static_cast<size_t>(channels)
                   : 0;
    out[i] = (out[i] - q.zero_points[c]) * q.scales[c];
  }
  return out;
}

}  // namespace

std::vector<LayerError> per_layer_errors(const Graph& fp32, const Graph& other,
                                         const Tensor& input) {
  Tensor in_other = input;
  if (!other.inputs.empty() && other.inputs[0]->dtype != input.dtype())
    in_other = input.cast(other.inputs[0]->dtype);
  auto ref = reference::run_graph_all_values(fp32, {input});
  auto got = reference::run_graph_all_values(other, {in_other});
  // Layers are matched by node name: precision passes keep node names but may rename values
  // (a quantized output is "<name>_int8").
  std::map<std::string, const Node*> other_nodes;
  for (const auto& n : other.nodes()) other_nodes[n->name] = n.get();
  std::vector<LayerError> out;
  for (const auto& node : fp32.nodes()) {
    auto match = other_nodes.find(node->name);
    if (match == other_nodes.end()) continue;
    for (size_t k = 0; k < node->outputs.size() && k < match->second->outputs.size(); ++k) {
      const Value* v = node->outputs[k];
      const Value* w = match->second->outputs[k];
      if (!v || !w) continue;
      auto r = ref.find(v->name);
      auto g = got.find(w->name);
      if (r == ref.end() || g == got.end() || r->second.dims() != g->second.dims()) continue;
      std::vector<double> x = real_values(r->second, v);
      std::vector<double> y = real_values(g->second, w);
      double signal = 0, noise = 0, dot = 0, nx = 0, ny = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        signal += x[i] * x[i];
        noise += (y[i] - x[i]) * (y[i] - x[i]);
        dot += x[i] * y[i];
        nx += x[i] * x[i];
        ny += y[i] * y[i];
      }
      LayerError e{v->name, node->op_type};
      e.sqnr_db =
          noise == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
      e.cosine = nx > 0 && ny > 0 ? dot / std::sqrt(nx * ny) : 1.0;
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace lowp::cli
