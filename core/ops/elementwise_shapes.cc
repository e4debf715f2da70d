// Schemas of the elementwise ops: unary activations (same dtype and dims as the input) and the
// broadcasting arithmetic ops Add, Sub, Mul, Div and Sum.
#include <limits>

#include "core/ops/broadcast.h"
#include "core/ops/op_groups.h"
#include "core/ops/quant_infer.h"
#include "core/ops/tensor_info_checks.h"
#include "lowp/error.h"

namespace lowp {
namespace {

std::vector<TensorInfo> infer_float_unary(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_float_type(in[0].dtype), in[0].dtype, "a float input");
  return {make_info(in[0].dtype, in[0].dims)};
}

std::vector<TensorInfo> infer_numeric_unary(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_numeric_type(in[0].dtype), in[0].dtype, "a numeric input");
  return {make_info(in[0].dtype, in[0].dims)};
}

// Clip: optional min (input 1) and max (input 2) are scalars of the input's dtype.
std::vector<TensorInfo> infer_clip(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_numeric_type(in[0].dtype), in[0].dtype, "a numeric input");
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i].present) continue;
    if (in[i].dtype != in[0].dtype) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": bound input " + std::to_string(i) +
                                                " has dtype " + name_of(in[i].dtype) +
                                                ", expected " + name_of(in[0].dtype));
    }
    if (element_count(in[i].dims) != 1) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": bound input " + std::to_string(i) +
                                                " must be a scalar, got " +
                                                dims_to_string(in[i].dims));
    }
  }
  return {make_info(in[0].dtype, in[0].dims)};
}

// Add / Sub / Mul / Div / Sum: every input has the same numeric dtype; dims broadcast.
std::vector<TensorInfo> infer_broadcast(const Node& node, const std::vector<TensorInfo>& in) {
  std::vector<Dims> dims;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].present) {
      throw_error(ErrorCode::kInvalidModel,
                  node.describe() + ": input " + std::to_string(i) + " is missing");
    }
    if (in[i].dtype != in[0].dtype) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": input " + std::to_string(i) +
                                                " has dtype " + name_of(in[i].dtype) +
                                                ", expected " + name_of(in[0].dtype));
    }
    dims.push_back(in[i].dims);
  }
  require_dtype(node, is_numeric_type(in[0].dtype), in[0].dtype, "numeric inputs");
  // A quantized Add (int8 contract) may requantize to `_out_dtype`.
  return {
      make_info(quantized_output_dtype(node, in[0].dtype), broadcast_dims_or_throw(node, dims))};
}

}  // namespace

void append_elementwise_schemas(std::vector<OpSchema>& out) {
  constexpr int kVariadic = std::numeric_limits<int>::max();
  out.push_back({"Relu", 1, 1, infer_numeric_unary});
  out.push_back({"LeakyRelu", 1, 1, infer_float_unary});
  out.push_back({"Clip", 1, 3, infer_clip});
  out.push_back({"Sigmoid", 1, 1, infer_float_unary});
  out.push_back({"Tanh", 1, 1, infer_float_unary});
  out.push_back({"HardSigmoid", 1, 1, infer_float_unary});
  out.push_back({"HardSwish", 1, 1, infer_float_unary});
  out.push_back(
      {"Add", 2, 2, infer_broadcast, Fp16Policy::kFollowInputs, 0, Int8Role::kCompute, 0b11});
  out.push_back({"Sub", 2, 2, infer_broadcast});
  out.push_back({"Mul", 2, 2, infer_broadcast});
  out.push_back({"Div", 2, 2, infer_broadcast});
  out.push_back({"Sum", 1, kVariadic, infer_broadcast});
}

}  // namespace lowp
