#include "passes/range_selection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "reference/quantized_compute.h"
#include "reference/reference_executor.h"

namespace lowp {
namespace {

Tensor quantized_copy(const Tensor& t, const TensorRange& range, bool symmetric) {
  const TensorRange r = symmetric ? make_tensor_range(range.min, range.max, true) : range;
  const reference::AxisParams p = reference::axis_params(activation_quant_params(r, symmetric));
  Tensor q(symmetric ? DataType::kS8 : DataType::kU8, t.dims());
  reference::quantize_tensor(t, p, q);
  return reference::dequantize_tensor(q, p);
}

double squared_distance(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = static_cast<double>(pa[i]) - pb[i];
    s += std::isfinite(d) ? d * d : 0.0;
  }
  return s;
}

double squared_norm(const Tensor& a) {
  return squared_distance(a, Tensor(DataType::kF32, a.dims()));
}

// A consumer whose first output is f32 and whose inputs are all constants or observed values.
bool measurable(const Node& n, const std::set<std::string>& observed) {
  if (n.outputs.empty() || !n.outputs[0] || n.outputs[0]->dtype != DataType::kF32) return false;
  return std::all_of(n.inputs.begin(), n.inputs.end(), [&](const Value* v) {
    return !v || v->constant || observed.count(v->name) != 0;
  });
}

// Error sums of one tensor: per consumer, the squared error per candidate and the squared norm.
struct Sums {
  std::vector<const Node*> consumers;
  std::vector<std::vector<double>> errors;  // [consumer][candidate]
  std::vector<double> norms;                // [consumer]
};

}  // namespace

RangeChoice choose_ranges_by_consumer_error(
    const Graph& fp32_graph, const std::map<std::string, std::vector<TensorRange>>& candidates,
    bool symmetric, CalibrationSource& source, const GraphRunnerFactory& make_runner,
    size_t max_observed_bytes) {
  const std::vector<std::string> names = default_calibration_values(fp32_graph);
  const std::set<std::string> observed(names.begin(), names.end());
  std::map<std::string, Sums> sums;
  for (const auto& [name, ranges] : candidates) {
    const Value* v = fp32_graph.find_value(name);
    if (!v || ranges.size() < 2) continue;
    Sums s;
    for (const Node* c : v->consumers) {
      if (measurable(*c, observed)) s.consumers.push_back(c);
    }
    if (s.consumers.empty()) continue;
    s.errors.assign(s.consumers.size(), std::vector<double>(ranges.size(), 0.0));
    s.norms.assign(s.consumers.size(), 0.0);
    sums[name] = std::move(s);
  }
  auto inputs_of = [](const Node& n, const std::map<std::string, const Tensor*>& values) {
    std::vector<const Tensor*> in;
    for (const Value* v : n.inputs) {
      in.push_back(!v ? nullptr : v->constant ? v->constant.get() : values.at(v->name));
    }
    return in;
  };
  observe_values(fp32_graph, source, names, false, make_runner, max_observed_bytes,
                 [&](const std::map<std::string, const Tensor*>& values) {
                   std::map<const Node*, Tensor> exact;  // each consumer's output, once per run
                   for (auto& [name, s] : sums) {
                     const Tensor& t = *values.at(name);
                     const auto& ranges = candidates.at(name);
                     for (size_t c = 0; c < s.consumers.size(); ++c) {
                       const Node& n = *s.consumers[c];
                       std::vector<const Tensor*> in = inputs_of(n, values);
                       auto it = exact.find(&n);
                       if (it == exact.end()) {
                         it = exact.emplace(&n, reference::run_node(n, in).at(0)).first;
                       }
                       s.norms[c] += squared_norm(it->second);
                       for (size_t k = 0; k < ranges.size(); ++k) {
                         const Tensor q = quantized_copy(t, ranges[k], symmetric);
                         std::vector<const Tensor*> qin = in;
                         std::replace(qin.begin(), qin.end(), &t, &q);
                         s.errors[c][k] +=
                             squared_distance(reference::run_node(n, qin).at(0), it->second);
                       }
                     }
                   }
                 });
  RangeChoice choice;
  for (const auto& [name, ranges] : candidates) {
    size_t best = 0;
    auto it = sums.find(name);
    if (it != sums.end()) {
      std::vector<double> total(ranges.size(), 0.0);
      for (size_t c = 0; c < it->second.consumers.size(); ++c) {
        const double norm = std::max(it->second.norms[c], std::numeric_limits<double>::min());
        for (size_t k = 0; k < ranges.size(); ++k) total[k] += it->second.errors[c][k] / norm;
      }
      for (size_t k = 1; k < total.size(); ++k) {
        if (total[k] < total[best]) best = k;
      }
      choice.errors[name] = total;
    }
    choice.ranges[name] = ranges.at(best);
    choice.chosen[name] = best;
  }
  return choice;
}

}  // namespace lowp
