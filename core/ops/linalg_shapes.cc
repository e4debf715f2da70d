// Shape inference for Gemm (transA / transB, C broadcast, fused activation), MatMul (numpy
// broadcasting of the batch dims, 1-D operands) and Einsum (core/ops/einsum_equation.h).
#include <algorithm>
#include <string>

#include "core/ops/einsum_equation.h"
#include "core/ops/nn_infer.h"
#include "core/ops/quant_infer.h"

namespace lowp::nn {
namespace {

// -1 (unknown) matches anything.
bool dims_match(int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; }

}  // namespace

std::vector<TensorInfo> infer_gemm(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 2);
  require_rank(node, in, 1, 2);
  // Quantized Gemm (int8 contract): s8/u8 A and B, s32 C; f32 output allowed via _out_dtype.
  const bool quantized = is_quantized_storage_type(in[0].dtype);
  if (quantized) {
    require_quantized_operand(node, in, 1, false);
    require_quantized_operand(node, in, 2, true);
  } else {
    require_float(node, in, 0);
    if (in[1].dtype != in[0].dtype) throw_invalid(node, "B's dtype differs from A's");
  }
  const bool ta = node.attr_int("transA", 0) != 0;
  const bool tb = node.attr_int("transB", 0) != 0;
  const int64_t m = in[0].dims[ta ? 1 : 0];
  const int64_t ka = in[0].dims[ta ? 0 : 1];
  const int64_t kb = in[1].dims[tb ? 1 : 0];
  const int64_t n = in[1].dims[tb ? 0 : 1];
  if (!dims_match(ka, kb)) {
    throw_invalid(node, "inner dims differ: A " + dims_to_string(in[0].dims) + " B " +
                            dims_to_string(in[1].dims));
  }
  if (has(in, 2)) {
    const Dims& c = in[2].dims;
    if (c.size() > 2) throw_invalid(node, "C has rank " + std::to_string(c.size()));
    const Dims target{m, n};
    for (size_t i = 0; i < c.size(); ++i) {
      const int64_t want = target[2 - c.size() + i];
      if (c[i] != 1 && !dims_match(c[i], want)) {
        throw_invalid(
            node, "C " + dims_to_string(c) + " does not broadcast to " + dims_to_string(target));
      }
    }
    if (!quantized && in[2].dtype != in[0].dtype) {
      throw_invalid(node, "C's dtype differs from A's");
    }
  }
  return {output(quantized ? quantized_output_dtype(node, DataType::kU8) : in[0].dtype, {m, n})};
}

std::vector<TensorInfo> infer_matmul(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 1, true);
  require_rank(node, in, 1, 1, true);
  require_float(node, in, 0);
  if (in[1].dtype != in[0].dtype) throw_invalid(node, "B's dtype differs from A's");
  Dims a = in[0].dims;
  Dims b = in[1].dims;
  const bool a_vec = a.size() == 1;
  const bool b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  if (!dims_match(a.back(), b[b.size() - 2])) {
    throw_invalid(node, "inner dims differ: A " + dims_to_string(in[0].dims) + " B " +
                            dims_to_string(in[1].dims));
  }
  const size_t batch_rank = std::max(a.size(), b.size()) - 2;
  Dims out(batch_rank);
  for (size_t i = 0; i < batch_rank; ++i) {
    const size_t from_end = batch_rank - i;  // 1 = last batch dim
    const int64_t da = from_end + 2 <= a.size() ? a[a.size() - 2 - from_end] : 1;
    const int64_t db = from_end + 2 <= b.size() ? b[b.size() - 2 - from_end] : 1;
    if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else if (dims_match(da, db)) {
      out[i] = std::max(da, db);
    } else {
      throw_invalid(node, "batch dims do not broadcast: A " + dims_to_string(in[0].dims) + " B " +
                              dims_to_string(in[1].dims));
    }
  }
  if (!a_vec) out.push_back(a[a.size() - 2]);
  if (!b_vec) out.push_back(b.back());
  if (has(in, 2)) {  // the fused bias: N elements of A's type, added to every row
    if (in[2].dtype != in[0].dtype) throw_invalid(node, "the bias's dtype differs from A's");
    if (b_vec || in[2].dims.size() != 1 || !dims_match(in[2].dims[0], b.back())) {
      throw_invalid(node, "the bias " + dims_to_string(in[2].dims) + " is not one row of " +
                              dims_to_string(Dims{b.back()}));
    }
  }
  return {output(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_einsum(const Node& node, const std::vector<TensorInfo>& in) {
  if (!node.has_attr("equation")) throw_invalid(node, "the 'equation' attribute is missing");
  std::vector<size_t> ranks;
  std::vector<Dims> dims;
  for (size_t i = 0; i < in.size(); ++i) {
    require_float(node, in, i);
    if (in[i].dtype != in[0].dtype) throw_invalid(node, "input dtypes differ");
    ranks.push_back(in[i].dims.size());
    dims.push_back(in[i].dims);
  }
  const EinsumEquation eq = parse_einsum(node.attr_string("equation", ""), ranks, node.describe());
  const std::vector<int64_t> sizes = einsum_label_sizes(eq, dims, node.describe());
  Dims out;
  for (int label : eq.output) out.push_back(sizes[static_cast<size_t>(label)]);
  return {output(in[0].dtype, out)};
}

}  // namespace lowp::nn
