// Work estimates (OpSchema::work) for the nn ops whose cost is not one operation per element:
// each output element of a convolution, pooling or matrix product reduces over many inputs.
#include <algorithm>

#include "core/ops/einsum_equation.h"
#include "core/ops/nn_infer.h"

namespace lowp::nn {
namespace {

double elements(const TensorInfo& t) { return static_cast<double>(element_count(t.dims)); }

double product(const Dims& dims, size_t from) {
  double p = 1;
  for (size_t i = from; i < dims.size(); ++i)
    p *= static_cast<double>(std::max<int64_t>(dims[i], 0));
  return p;
}

}  // namespace

// Every output element: C_in / group x kernel taps multiply-adds (the weight's elements per
// output channel).
double conv_work(const Node&, const std::vector<TensorInfo>& in,
                 const std::vector<TensorInfo>& out) {
  const Dims& w = in.at(1).dims;
  return elements(out.at(0)) * (w.empty() ? 1 : product(w, 1));
}

// Every input element scatters into C_out / group x kernel taps outputs.
double conv_transpose_work(const Node&, const std::vector<TensorInfo>& in,
                           const std::vector<TensorInfo>& out) {
  const Dims& w = in.at(1).dims;
  return elements(in.at(0)) * (w.empty() ? 1 : product(w, 1)) + elements(out.at(0));
}

// Every output element reads its window: the product of kernel_shape.
double pool_work(const Node& node, const std::vector<TensorInfo>&,
                 const std::vector<TensorInfo>& out) {
  return elements(out.at(0)) * product(node.attr_ints("kernel_shape"), 0);
}

// MatMul and Gemm: every output element is a dot product over K (A's reduced dim).
double matmul_work(const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>& out) {
  const Dims& a = in.at(0).dims;
  const bool trans_a = node.op_type == "Gemm" && node.attr_int("transA", 0) != 0;
  const int64_t k = a.empty() ? 1 : (trans_a ? a.front() : a.back());
  return elements(out.at(0)) * static_cast<double>(std::max<int64_t>(k, 1));
}

// One multiply per operand for every combination of the equation's labels.
double einsum_work(const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>&) {
  std::vector<size_t> ranks;
  std::vector<Dims> dims;
  for (const TensorInfo& t : in) {
    ranks.push_back(t.dims.size());
    dims.push_back(t.dims);
  }
  const EinsumEquation eq = parse_einsum(node.attr_string("equation", ""), ranks, node.describe());
  return product(einsum_label_sizes(eq, dims, node.describe()), 0) * static_cast<double>(in.size());
}

}  // namespace lowp::nn
