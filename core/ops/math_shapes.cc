// Schemas of the math op group: float unary functions (Sqrt, Erf), Pow, Mod, the comparison and
// logic ops (Equal, Not, Where) and ReduceMean. Binary ops broadcast like Add.
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

std::vector<TensorInfo> infer_float_unary(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_float_type(in[0].dtype), in[0].dtype, "a float input");
  return {make_info(in[0].dtype, in[0].dims)};
}

// Gelu (opset 20): approximate "none" (the erf form) or "tanh".
std::vector<TensorInfo> infer_gelu(const Node& node, const std::vector<TensorInfo>& in) {
  const std::string approximate = node.attr_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    invalid(node, "approximate is '" + approximate + "', expected 'none' or 'tanh'");
  }
  return infer_float_unary(node, in);
}

// Inputs `first`.. have one dtype; returns their broadcast dims.
Dims same_dtype_broadcast(const Node& node, const std::vector<TensorInfo>& in, size_t first) {
  std::vector<Dims> dims;
  for (size_t i = first; i < in.size(); ++i) {
    if (!in[i].present) invalid(node, "input " + std::to_string(i) + " is missing");
    if (in[i].dtype != in[first].dtype) {
      invalid(node, "input " + std::to_string(i) + " has dtype " + name_of(in[i].dtype) +
                        ", expected " + name_of(in[first].dtype));
    }
    dims.push_back(in[i].dims);
  }
  return broadcast_dims_or_throw(node, dims);
}

// Pow: base X float or integer, exponent Y of any numeric dtype; the output has X's dtype.
std::vector<TensorInfo> infer_pow(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_numeric_type(in[0].dtype), in[0].dtype, "a numeric base");
  require_dtype(node, is_numeric_type(in[1].dtype), in[1].dtype, "a numeric exponent");
  return {make_info(in[0].dtype, broadcast_dims_or_throw(node, {in[0].dims, in[1].dims}))};
}

std::vector<TensorInfo> infer_mod(const Node& node, const std::vector<TensorInfo>& in) {
  const Dims dims = same_dtype_broadcast(node, in, 0);
  require_dtype(node, is_numeric_type(in[0].dtype), in[0].dtype, "numeric inputs");
  if (is_float_type(in[0].dtype) && node.attr_int("fmod", 0) == 0) {
    invalid(node, "Mod of floats needs fmod=1 (ONNX)");
  }
  return {make_info(in[0].dtype, dims)};
}

std::vector<TensorInfo> infer_equal(const Node& node, const std::vector<TensorInfo>& in) {
  const Dims dims = same_dtype_broadcast(node, in, 0);
  require_dtype(node, is_numeric_type(in[0].dtype) || in[0].dtype == DataType::kBool, in[0].dtype,
                "numeric or bool inputs");
  return {make_info(DataType::kBool, dims)};
}

std::vector<TensorInfo> infer_not(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, in[0].dtype == DataType::kBool, in[0].dtype, "a bool input");
  return {make_info(DataType::kBool, in[0].dims)};
}

// Where(condition, X, Y): bool condition; X and Y of one dtype; all three broadcast.
std::vector<TensorInfo> infer_where(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, in[0].dtype == DataType::kBool, in[0].dtype, "a bool condition");
  same_dtype_broadcast(node, in, 1);
  return {
      make_info(in[1].dtype, broadcast_dims_or_throw(node, {in[0].dims, in[1].dims, in[2].dims}))};
}

// ReduceMean, ReduceSum, ReduceL1, ReduceL2, ReduceSumSquare (opset 18 form: axes as optional
// input 1; the importer moves older opsets' axes attribute there). No axes: every axis, unless
// noop_with_empty_axes.
std::vector<TensorInfo> infer_reduce(const Node& node, const std::vector<TensorInfo>& in) {
  require_dtype(node, is_float_type(in[0].dtype), in[0].dtype, "a float input");
  const auto rank = static_cast<int64_t>(in[0].dims.size());
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  const bool given = has_input(in, 1) && element_count(in[1].dims) > 0;
  if (given) {
    if (in[1].dtype != DataType::kS64) invalid(node, "axes must be int64");
    for (int64_t axis : require_value(node, in, 1, "axes").to_int64()) {
      const auto a = static_cast<size_t>(normalize_axis(node, axis, rank));
      if (reduced[a]) invalid(node, "axis " + std::to_string(axis) + " is repeated");
      reduced[a] = true;
    }
  } else if (node.attr_int("noop_with_empty_axes", 0) == 0) {
    reduced.assign(reduced.size(), true);
  }
  const bool keep = node.attr_int("keepdims", 1) != 0;
  Dims out;
  for (size_t d = 0; d < reduced.size(); ++d) {
    if (reduced[d] && in[0].dims[d] == 0 && node.op_type == "ReduceMean") {
      invalid(node, "reduces an empty axis (mean of nothing)");
    }
    if (!reduced[d]) {
      out.push_back(in[0].dims[d]);
    } else if (keep) {
      out.push_back(1);
    }
  }
  return {make_info(in[0].dtype, out)};
}

}  // namespace

void append_math_schemas(std::vector<OpSchema>& out) {
  out.push_back({"Sqrt", 1, 1, infer_float_unary});
  out.push_back({"Erf", 1, 1, infer_float_unary});
  out.push_back({"Exp", 1, 1, infer_float_unary});
  out.push_back({"Gelu", 1, 1, infer_gelu});
  out.push_back({"Pow", 2, 2, infer_pow, Fp16Policy::kNever});
  out.push_back({"Mod", 2, 2, infer_mod});
  out.push_back({"Equal", 2, 2, infer_equal});
  out.push_back({"Not", 1, 1, infer_not});
  out.push_back({"Where", 3, 3, infer_where});
  // Reductions accumulate in f32: kept out of fp16 / bf16.
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceL1", "ReduceL2", "ReduceSumSquare"}) {
    out.push_back({op, 1, 2, infer_reduce, Fp16Policy::kNever, 0b10});
  }
}

}  // namespace lowp
