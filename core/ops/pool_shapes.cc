// Shape inference for MaxPool (with the optional Indices output), AveragePool and the global pools.
#include <string>

#include "core/ops/nn_geometry.h"
#include "core/ops/nn_infer.h"
#include "core/ops/quant_infer.h"

namespace lowp::nn {
namespace {

Dims pooled_dims(const Node& node, const Dims& x) {
  if (!node.has_attr("kernel_shape")) throw_invalid(node, "attribute 'kernel_shape' is required");
  const SpatialGeometry g =
      window_geometry(node, Dims(x.begin() + 2, x.end()), node.attr_ints("kernel_shape"), true);
  Dims out{x[0], x[1]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  return out;
}

}  // namespace

std::vector<TensorInfo> infer_max_pool(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 3, true);
  const DataType t = in[0].dtype;
  if (t != DataType::kF32 && t != DataType::kF16 && t != DataType::kBF16 && t != DataType::kS8 &&
      t != DataType::kU8) {
    throw_unsupported(node, std::string("dtype ") + name_of(t) + " is not supported");
  }
  const int64_t storage_order = node.attr_int("storage_order", 0);
  if (storage_order != 0 && storage_order != 1) throw_invalid(node, "storage_order must be 0 or 1");
  const Dims out = pooled_dims(node, in[0].dims);
  std::vector<TensorInfo> result{output(t, out)};
  if (node.outputs.size() > 1 && node.outputs[1] != nullptr) {
    result.push_back(output(DataType::kS64, out));
  }
  return result;
}

std::vector<TensorInfo> infer_average_pool(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 3, true);
  // Quantized AveragePool (int8 contract): s8/u8 in, own output params.
  if (is_quantized_storage_type(in[0].dtype)) {
    return {output(quantized_output_dtype(node, in[0].dtype), pooled_dims(node, in[0].dims))};
  }
  require_float(node, in, 0);
  return {output(in[0].dtype, pooled_dims(node, in[0].dims))};
}

std::vector<TensorInfo> infer_global_pool(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 3, true);
  if (node.op_type == "GlobalMaxPool") {
    const DataType t = in[0].dtype;
    if (t != DataType::kF32 && t != DataType::kF16 && t != DataType::kBF16 && t != DataType::kS8 &&
        t != DataType::kU8) {
      throw_unsupported(node, std::string("dtype ") + name_of(t) + " is not supported");
    }
  } else if (!is_quantized_storage_type(in[0].dtype)) {
    require_float(node, in, 0);
  }
  Dims out(in[0].dims.size(), 1);
  out[0] = in[0].dims[0];
  out[1] = in[0].dims[1];
  // GlobalAveragePool on s8/u8 (int8 contract) may requantize to `_out_dtype`.
  return {output(quantized_output_dtype(node, in[0].dtype), out)};
}

}  // namespace lowp::nn
