// Schemas of QuantizeLinear and DequantizeLinear (ONNX opsets 10-21, as normalised by the frontend:
// `output_dtype` holds a lowp DataType value) and the int8 contract's dtype helpers
// (quant_infer.h).
//  - QuantizeLinear(x f32/f16/bf16/s32, y_scale, y_zero_point?) -> y of the zero point's dtype,
//    else `output_dtype`, else u8.
//  - DequantizeLinear(x s8/u8/s32, x_scale, x_zero_point?) -> y of the scale's float dtype.
// Scale and zero point are scalars (per tensor) or 1-D along `axis` (default 1).
#include <string>

#include "core/ops/quant_infer.h"
#include "core/ops/tensor_info_checks.h"
#include "lowp/error.h"

namespace lowp {
namespace {

[[noreturn]] void invalid(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, node.describe() + ": " + what);
}

// Scale / zero point dims: scalar or one element per tensor, or 1-D matching x's `axis` dim.
void check_params(const Node& node, const std::vector<TensorInfo>& in) {
  const int64_t rank = static_cast<int64_t>(in[0].dims.size());
  if (node.attr_int("block_size", 0) != 0) {
    throw_error(ErrorCode::kUnsupported,
                node.describe() + ": blocked quantization is not supported");
  }
  require_dtype(node, is_float_type(in[1].dtype), in[1].dtype, "a float scale");
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i].present) continue;
    const Dims& d = in[i].dims;
    const int64_t n = element_count(d);
    if (d.size() > 1) invalid(node, "input " + std::to_string(i) + " must be a scalar or 1-D");
    if (d.empty() || n == 1) continue;
    const int64_t axis = normalize_axis(node, node.attr_int("axis", 1), rank);
    if (in[0].dims[axis] >= 0 && n != in[0].dims[axis]) {
      invalid(node, "input " + std::to_string(i) + " has " + std::to_string(n) +
                        " values, expected " + std::to_string(in[0].dims[axis]) + " (dim " +
                        std::to_string(axis) + ")");
    }
  }
  if (has_input(in, 2) && element_count(in[2].dims) != element_count(in[1].dims)) {
    invalid(node, "zero point and scale have different sizes");
  }
}

std::vector<TensorInfo> infer_quantize(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_float_type(in[0].dtype) || in[0].dtype == DataType::kS32, in[0].dtype,
                "a float or s32 input");
  check_params(node, in);
  DataType out = DataType::kU8;
  if (has_input(in, 2)) {
    out = in[2].dtype;
  } else if (node.attr_int("output_dtype", 0) != 0) {
    out = static_cast<DataType>(node.attr_int("output_dtype", 0));
  }
  require_dtype(node, is_quantized_storage_type(out), out, "an s8 or u8 output");
  return {make_info(out, in[0].dims)};
}

std::vector<TensorInfo> infer_dequantize(const Node& node, const std::vector<TensorInfo>& in) {
  const DataType t = in[0].dtype;
  require_dtype(node, is_quantized_storage_type(t) || t == DataType::kS32, t,
                "an s8, u8 or s32 input");
  check_params(node, in);
  if (has_input(in, 2) && in[2].dtype != t) invalid(node, "zero point dtype differs from x's");
  return {make_info(in[1].dtype, in[0].dims)};
}

}  // namespace

DataType quantized_output_dtype(const Node& node, DataType fallback) {
  if (!node.has_attr("_out_dtype")) return fallback;
  const auto t = static_cast<DataType>(node.attr_int("_out_dtype", 0));
  require_dtype(node, t == DataType::kF32 || is_quantized_storage_type(t), t,
                "_out_dtype f32, s8 or u8");
  return t;
}

void require_quantized_operand(const Node& node, const std::vector<TensorInfo>& in, size_t i,
                               bool is_bias) {
  if (!has_input(in, i)) return;
  const DataType t = in[i].dtype;
  const bool ok = is_bias ? t == DataType::kS32 : is_quantized_storage_type(t);
  require_dtype(node, ok, t,
                std::string("input ") + std::to_string(i) + (is_bias ? " s32" : " s8 or u8"));
}

void append_quant_schemas(std::vector<OpSchema>& out) {
  out.push_back({"QuantizeLinear", 2, 3, infer_quantize, Fp16Policy::kNever});
  out.push_back({"DequantizeLinear", 2, 3, infer_dequantize, Fp16Policy::kNever});
}

}  // namespace lowp
