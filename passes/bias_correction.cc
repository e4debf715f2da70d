#include "passes/bias_correction.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/ops/nn_geometry.h"
#include "passes/quant_rewrite.h"
#include "reference/quantized_compute.h"

namespace lowp {
namespace {

// Per spatial dim, per kernel index: the share of output positions where that tap reads inside
// the input (1 everywhere when the input's spatial sizes are unknown).
std::vector<std::vector<double>> tap_shares(const Node& conv, const Dims& input_dims,
                                            const Dims& kernel) {
  std::vector<std::vector<double>> shares;
  Dims in(input_dims.begin() + std::min<ptrdiff_t>(2, std::ssize(input_dims)), input_dims.end());
  const bool known = in.size() == kernel.size() &&
                     std::all_of(in.begin(), in.end(), [](int64_t d) { return d > 0; });
  nn::SpatialGeometry g;
  if (known) g = nn::window_geometry(conv, in, kernel, false);
  for (size_t d = 0; d < kernel.size(); ++d) {
    std::vector<double> s(static_cast<size_t>(kernel[d]), 1.0);
    for (int64_t k = 0; known && k < kernel[d] && g.out[d] > 0; ++k) {
      int64_t inside = 0;
      for (int64_t o = 0; o < g.out[d]; ++o) {
        const int64_t i = o * g.strides[d] - g.pad_begin[d] + k * g.dilations[d];
        inside += i >= 0 && i < in[d];
      }
      s[static_cast<size_t>(k)] = static_cast<double>(inside) / static_cast<double>(g.out[d]);
    }
    shares.push_back(std::move(s));
  }
  return shares;
}

std::vector<double> conv_output_means(const Node& conv, const Tensor& w,
                                      const std::vector<double>& means, const Dims& input_dims) {
  const Dims& d = w.dims();
  const int64_t group = conv.attr_int("group", 1);
  if (d.size() < 3 || group < 1 || d[0] % group != 0) return {};
  const int64_t out_channels = d[0];
  const int64_t per_group = d[1];
  if (static_cast<int64_t>(means.size()) != per_group * group) return {};
  const Dims kernel(d.begin() + 2, d.end());
  const auto shares = tap_shares(conv, input_dims, kernel);
  // Weight of each tap (flattened kernel index) = product of its per-dim shares.
  std::vector<double> tap(static_cast<size_t>(element_count(kernel)), 1.0);
  for (size_t t = 0; t < tap.size(); ++t) {
    int64_t rest = static_cast<int64_t>(t);
    for (size_t k = kernel.size(); k-- > 0;) {
      tap[t] *= shares[k][static_cast<size_t>(rest % kernel[k])];
      rest /= kernel[k];
    }
  }
  const float* wp = w.data<float>();
  std::vector<double> out(static_cast<size_t>(out_channels), 0.0);
  const int64_t outs_per_group = out_channels / group;
  for (int64_t o = 0; o < out_channels; ++o) {
    const int64_t first = (o / outs_per_group) * per_group;
    double sum = 0.0;
    for (int64_t c = 0; c < per_group; ++c) {
      const float* taps = wp + (o * per_group + c) * static_cast<int64_t>(tap.size());
      double dot = 0.0;
      for (size_t t = 0; t < tap.size(); ++t) dot += static_cast<double>(taps[t]) * tap[t];
      sum += dot * means[static_cast<size_t>(first + c)];
    }
    out[static_cast<size_t>(o)] = sum;
  }
  return out;
}

std::vector<double> gemm_output_means(const Node& gemm, const Tensor& w,
                                      const std::vector<double>& means) {
  if (w.rank() != 2) return {};
  const bool trans = gemm.attr_int("transB", 0) != 0;
  const int64_t k = w.dims()[trans ? 1 : 0];
  const int64_t n = w.dims()[trans ? 0 : 1];
  if (static_cast<int64_t>(means.size()) != k) return {};
  std::vector<double> out(static_cast<size_t>(n), 0.0);
  const float* wp = w.data<float>();
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < k; ++i) {
      out[static_cast<size_t>(j)] += static_cast<double>(trans ? wp[j * k + i] : wp[i * n + j]) *
                                     means[static_cast<size_t>(i)];
    }
  }
  return out;
}

Dims value_dims(const Value* v) {
  Dims dims;
  if (v && v->shape.has_rank()) {
    for (const Dim& d : v->shape.dims()) dims.push_back(d.size);
  }
  return dims;
}

// The real bias per output channel (zeros when absent), or empty when it does not fit.
std::vector<double> real_bias(const Value* b, size_t channels) {
  std::vector<double> out(channels, 0.0);
  if (!b) return out;
  if (!b->constant || static_cast<size_t>(b->constant->numel()) != channels) return {};
  const Tensor real =
      b->quant ? reference::dequantize_tensor(*b->constant, reference::axis_params(*b->quant))
               : b->constant->cast(DataType::kF32);
  const float* p = real.data<float>();
  for (size_t c = 0; c < channels; ++c) out[c] = p[c];
  return out;
}

// Adds delta (real units) to an int8 node's s32 bias, making the bias when there is none.
void add_to_int32_bias(Graph& graph, Node& node, const std::vector<double>& delta) {
  const QuantParams& xq = *node.input(0)->quant;
  const QuantParams& wq = *node.input(1)->quant;
  Value* old = node.input(2);
  QuantParams bq;
  bq.storage = DataType::kS32;
  bq.axis = old ? static_cast<int>(old->constant->rank()) - 1 : 0;
  Tensor q(DataType::kS32, old ? old->constant->dims() : Dims{static_cast<int64_t>(delta.size())});
  for (size_t c = 0; c < delta.size(); ++c) {
    const double scale = static_cast<double>(xq.scales[0]) *
                         static_cast<double>(wq.scales[wq.scales.size() == 1 ? 0 : c]);
    bq.scales.push_back(static_cast<float>(scale));
    bq.zero_points.push_back(0);
    const double before = old ? old->constant->data<int32_t>()[c] : 0.0;
    const double v = std::round(before + delta[c] / scale);
    constexpr double kMax = std::numeric_limits<int32_t>::max();
    q.data<int32_t>()[c] = static_cast<int32_t>(std::clamp(v, -kMax, kMax));
  }
  Value* b = graph.add_constant(graph.unique_name(node.name + "_bias_corrected"), std::move(q));
  b->quant = bq;
  if (old) {
    replace_input(node, old, b);
    return;
  }
  if (node.inputs.size() < 3) node.inputs.resize(3, nullptr);
  node.inputs[2] = b;
  b->consumers.push_back(&node);
}

bool is_int8_linear(const Node& n) {
  if (n.op_type != "Conv" && n.op_type != "Gemm") return false;
  const Value* x = n.input(0);
  const Value* w = n.input(1);
  const Value* b = n.input(2);
  return x && x->quant && w && w->constant && w->quant && w->constant->dtype() == DataType::kS8 &&
         (!b || (b->constant && b->quant && b->constant->dtype() == DataType::kS32));
}

}  // namespace

std::vector<double> linear_output_means(const Node& node, const Tensor& weight,
                                        const std::vector<double>& input_means,
                                        const Dims& input_dims) {
  if (weight.dtype() != DataType::kF32) return {};
  if (node.op_type == "Conv") return conv_output_means(node, weight, input_means, input_dims);
  if (node.op_type == "Gemm") return gemm_output_means(node, weight, input_means);
  return {};
}

ChannelMeanMap fp32_output_means(const Graph& fp32_graph, const ChannelMeanMap& value_means) {
  ChannelMeanMap out;
  for (const auto& n : fp32_graph.nodes()) {
    const Value* x = n->input(0);
    const Value* w = n->input(1);
    if (!x || !w || !w->constant || x->quant) continue;
    auto it = value_means.find(x->name);
    if (it == value_means.end()) continue;
    std::vector<double> m = linear_output_means(*n, *w->constant, it->second, value_dims(x));
    const std::vector<double> b = real_bias(n->input(2), m.size());
    if (m.empty() || b.empty()) continue;
    for (size_t c = 0; c < m.size(); ++c) m[c] += b[c];
    out[n->name] = std::move(m);
  }
  return out;
}

BiasCorrectionPass::BiasCorrectionPass(ChannelMeanMap fp32_means,
                                       ChannelMeanMap quantized_input_means)
    : fp32_means_(std::move(fp32_means)),
      quantized_input_means_(std::move(quantized_input_means)) {}

bool BiasCorrectionPass::run(Graph& graph, PassContext& ctx) const {
  int corrected = 0;
  double largest = 0.0;
  std::string largest_at;
  for (const auto& node : graph.nodes()) {
    Node& n = *node;
    if (!is_int8_linear(n)) continue;
    auto target = fp32_means_.find(n.name);
    auto means = quantized_input_means_.find(n.name);
    if (target == fp32_means_.end() || means == quantized_input_means_.end()) continue;
    const Value* w = n.input(1);
    const Tensor real_w =
        reference::dequantize_tensor(*w->constant, reference::axis_params(*w->quant));
    std::vector<double> now = linear_output_means(n, real_w, means->second, value_dims(n.input(0)));
    const std::vector<double> b = real_bias(n.input(2), now.size());
    if (now.empty() || b.empty() || now.size() != target->second.size()) continue;
    std::vector<double> delta(now.size());
    for (size_t c = 0; c < now.size(); ++c) {
      delta[c] = target->second[c] - (now[c] + b[c]);
      if (std::fabs(delta[c]) > largest) {
        largest = std::fabs(delta[c]);
        largest_at = n.describe();
      }
    }
    add_to_int32_bias(graph, n, delta);
    ++corrected;
  }
  if (corrected == 0) return false;
  graph.remove_unused_values();
  ctx.note(name(), "corrected the biases of " + std::to_string(corrected) +
                       " int8 layers; largest shift " + std::to_string(largest) + " at " +
                       largest_at);
  return true;
}

}  // namespace lowp
