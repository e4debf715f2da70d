// Schemas of the ops whose output dims are values of their inputs: Expand (a shape to broadcast
// to), ConstantOfShape (the shape to fill) and Range (start, limit, delta). Their outputs are
// known where those inputs are constants (after folding) or graph inputs the engine specialises
// on (OpSchema::shape_inputs).
#include <algorithm>
#include <cmath>
#include <string>

#include "core/ops/broadcast.h"
#include "core/ops/op_groups.h"
#include "core/ops/tensor_info_checks.h"
#include "lowp/error.h"

namespace lowp {
namespace {

[[noreturn]] void invalid(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, node.describe() + ": " + what);
}

// A 1-D int64 shape input's values, each >= 0.
Dims shape_values(const Node& node, const std::vector<TensorInfo>& in, size_t i) {
  if (in[i].dtype != DataType::kS64 || in[i].dims.size() != 1) {
    invalid(node, "the shape input must be a 1-D int64 tensor");
  }
  const Dims values = require_value(node, in, i, "shape").to_int64();
  for (int64_t v : values) {
    if (v < 0) invalid(node, "shape " + dims_to_string(values) + " has a negative dimension");
  }
  return values;
}

std::vector<TensorInfo> infer_expand(const Node& node, const std::vector<TensorInfo>& in) {
  if (in[1].dtype != DataType::kS64 || in[1].dims.size() != 1) {
    invalid(node, "the shape input must be a 1-D int64 tensor");
  }
  const Dims shape = require_value(node, in, 1, "shape").to_int64();
  return {make_info(in[0].dtype, broadcast_dims_or_throw(node, {in[0].dims, shape}))};
}

// The output dtype is that of attribute `value` (one element; default f32 0).
std::vector<TensorInfo> infer_constant_of_shape(const Node& node,
                                                const std::vector<TensorInfo>& in) {
  DataType dtype = DataType::kF32;
  if (const Tensor* value = node.attr_tensor("value")) {
    if (value->numel() != 1) invalid(node, "attribute 'value' must hold one element");
    dtype = value->dtype();
  }
  return {make_info(dtype, shape_values(node, in, 0))};
}

// max(ceil((limit - start) / delta), 0) elements of the inputs' dtype.
std::vector<TensorInfo> infer_range(const Node& node, const std::vector<TensorInfo>& in) {
  for (size_t i = 0; i < 3; ++i) {
    if (in[i].dtype != in[0].dtype) invalid(node, "start, limit and delta differ in dtype");
    if (element_count(in[i].dims) != 1) invalid(node, "start, limit and delta must be scalars");
  }
  const DataType t = in[0].dtype;
  require_dtype(node, t == DataType::kF32 || t == DataType::kS32 || t == DataType::kS64, t,
                "f32, int32 or int64 inputs");
  if (t != DataType::kF32) {  // exact for integers (to_float may round large ones)
    const auto s = require_value(node, in, 0, "start").to_int64()[0];
    const auto l = require_value(node, in, 1, "limit").to_int64()[0];
    const auto d = require_value(node, in, 2, "delta").to_int64()[0];
    if (d == 0) invalid(node, "delta is 0");
    const __int128 span = static_cast<__int128>(l) - s;  // no overflow at the int64 extremes
    const __int128 n = span / d + ((span % d != 0) && ((span > 0) == (d > 0)) ? 1 : 0);
    if (n > (__int128{1} << 32)) invalid(node, "more than 2^32 elements");
    return {make_info(t, {n > 0 ? static_cast<int64_t>(n) : 0})};
  }
  const double start = require_value(node, in, 0, "start").to_float()[0];
  const double limit = require_value(node, in, 1, "limit").to_float()[0];
  const double delta = require_value(node, in, 2, "delta").to_float()[0];
  if (delta == 0.0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
    invalid(node, "start, limit and delta must be finite and delta non-zero");
  }
  const double n = std::ceil((limit - start) / delta);
  if (n > double(int64_t{1} << 32)) invalid(node, "more than 2^32 elements");
  return {make_info(t, {n > 0 ? static_cast<int64_t>(n) : 0})};
}

}  // namespace

void append_generator_schemas(std::vector<OpSchema>& out) {
  out.push_back({"Expand", 2, 2, infer_expand, Fp16Policy::kFollowInputs, 0b10});
  out.push_back({"ConstantOfShape", 1, 1, infer_constant_of_shape, Fp16Policy::kNever, 0b1});
  out.push_back({"Range", 3, 3, infer_range, Fp16Policy::kNever, 0b111});
}

}  // namespace lowp
