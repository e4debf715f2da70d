// Schemas of the tensor-manipulation ops: they move or select elements without arithmetic, so
// every one accepts any dtype. Ops whose output dims depend on an input's contents read
// TensorInfo::value and throw kUnsupported when it is unknown.
#include <algorithm>
#include <limits>

#include "core/ops/op_groups.h"
#include "core/ops/slice_params.h"
#include "core/ops/tensor_info_checks.h"
#include "core/ops/transpose_params.h"
#include "lowp/error.h"

namespace lowp {
namespace {

[[noreturn]] void invalid(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, node.describe() + ": " + what);
}

int64_t rank_of(const TensorInfo& info) { return static_cast<int64_t>(info.dims.size()); }

void require_index_dtype(const Node& node, const TensorInfo& info, const std::string& what) {
  if (info.dtype != DataType::kS32 && info.dtype != DataType::kS64) {
    throw_error(ErrorCode::kUnsupported,
                node.describe() + ": " + what + " must be s32 or s64, got " + name_of(info.dtype));
  }
}

std::vector<TensorInfo> infer_same(const Node& node, const std::vector<TensorInfo>& in) {
  return {make_info(in[0].dtype, in[0].dims)};
}

std::vector<TensorInfo> infer_dropout(const Node& node, const std::vector<TensorInfo>& in) {
  if (has_input(in, 2) && in[2].value) {
    const std::vector<int64_t> training = in[2].value->to_int64();
    if (!training.empty() && training[0] != 0) {
      throw_error(ErrorCode::kUnsupported, node.describe() + ": training mode is not supported");
    }
  }
  std::vector<TensorInfo> out{make_info(in[0].dtype, in[0].dims)};
  if (node.outputs.size() > 1) out.push_back(make_info(DataType::kBool, in[0].dims));
  return out;
}

std::vector<TensorInfo> infer_flatten(const Node& node, const std::vector<TensorInfo>& in) {
  const int64_t rank = rank_of(in[0]);
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis > rank) {
    invalid(node,
            "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  int64_t inner = 1;
  for (int64_t i = 0; i < rank; ++i) {
    (i < axis ? outer : inner) *= in[0].dims[static_cast<size_t>(i)];
  }
  return {make_info(in[0].dtype, {outer, inner})};
}

std::vector<TensorInfo> infer_reshape(const Node& node, const std::vector<TensorInfo>& in) {
  require_index_dtype(node, in[1], "shape");
  const std::vector<int64_t> target = require_value(node, in, 1, "shape").to_int64();
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  const int64_t total = element_count(in[0].dims);
  Dims out(target.size());
  int64_t known = 1;
  int64_t inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t v = target[i];
    if (v == 0 && !allow_zero) {
      if (i >= in[0].dims.size()) {
        invalid(node, "shape entry " + std::to_string(i) + " is 0 but the input " +
                          dims_to_string(in[0].dims) + " has no such dimension");
      }
      v = in[0].dims[i];
    }
    if (v == -1) {
      if (inferred >= 0) invalid(node, "shape has more than one -1");
      inferred = static_cast<int64_t>(i);
      continue;
    }
    if (v < 0) invalid(node, "shape entry " + std::to_string(v) + " is negative");
    out[i] = v;
    known *= v;
  }
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      invalid(node, "cannot reshape " + dims_to_string(in[0].dims) + " to shape with -1 (" +
                        std::to_string(total) + " elements)");
    }
    out[static_cast<size_t>(inferred)] = total / known;
  } else if (known != total) {
    invalid(node, "cannot reshape " + dims_to_string(in[0].dims) + " to " + dims_to_string(out));
  }
  return {make_info(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_transpose(const Node& node, const std::vector<TensorInfo>& in) {
  const std::vector<int64_t> perm = transpose_permutation(node, rank_of(in[0]));
  Dims out;
  for (int64_t p : perm) out.push_back(in[0].dims[static_cast<size_t>(p)]);
  return {make_info(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_concat(const Node& node, const std::vector<TensorInfo>& in) {
  if (!node.has_attr("axis")) invalid(node, "attribute 'axis' is required");
  const int64_t rank = rank_of(in[0]);
  const size_t axis = static_cast<size_t>(normalize_axis(node, node.attr_int("axis", 0), rank));
  Dims out = in[0].dims;
  out[axis] = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].present) invalid(node, "input " + std::to_string(i) + " is missing");
    if (in[i].dtype != in[0].dtype) {
      invalid(node, "input " + std::to_string(i) + " has dtype " + name_of(in[i].dtype) +
                        ", expected " + name_of(in[0].dtype));
    }
    bool fits = in[i].dims.size() == in[0].dims.size();
    for (size_t d = 0; fits && d < in[i].dims.size(); ++d) {
      fits = d == axis || in[i].dims[d] == in[0].dims[d];
    }
    if (!fits) {
      invalid(node, "input " + std::to_string(i) + " " + dims_to_string(in[i].dims) +
                        " does not fit input 0 " + dims_to_string(in[0].dims));
    }
    out[axis] += in[i].dims[axis];
  }
  return {make_info(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_split(const Node& node, const std::vector<TensorInfo>& in) {
  const int64_t rank = rank_of(in[0]);
  const size_t axis = static_cast<size_t>(normalize_axis(node, node.attr_int("axis", 0), rank));
  const int64_t dim = in[0].dims[axis];
  const int64_t n = static_cast<int64_t>(node.outputs.size());
  if (n == 0) invalid(node, "has no outputs");
  std::vector<int64_t> sizes;
  if (has_input(in, 1)) {
    require_index_dtype(node, in[1], "split");
    sizes = require_value(node, in, 1, "split").to_int64();
    if (static_cast<int64_t>(sizes.size()) != n) {
      invalid(node,
              std::to_string(sizes.size()) + " split sizes for " + std::to_string(n) + " outputs");
    }
  } else if (node.has_attr("num_outputs")) {
    const int64_t k = node.attr_int("num_outputs", n);
    if (k != n) {
      invalid(node, "num_outputs is " + std::to_string(k) + " but the node has " +
                        std::to_string(n) + " outputs");
    }
    const int64_t chunk = (dim + k - 1) / k;
    sizes.assign(static_cast<size_t>(k), chunk);
    sizes.back() = dim - chunk * (k - 1);
  } else {
    if (dim % n != 0) {
      invalid(node, "dimension " + std::to_string(dim) + " does not split evenly into " +
                        std::to_string(n) + " outputs");
    }
    sizes.assign(static_cast<size_t>(n), dim / n);
  }
  int64_t sum = 0;
  for (int64_t s : sizes) {
    if (s < 0) invalid(node, "a split size is negative");
    sum += s;
  }
  if (sum != dim) {
    invalid(node, "split sizes add up to " + std::to_string(sum) + ", dimension is " +
                      std::to_string(dim));
  }
  std::vector<TensorInfo> out;
  for (int64_t s : sizes) {
    Dims d = in[0].dims;
    d[axis] = s;
    out.push_back(make_info(in[0].dtype, d));
  }
  return out;
}

std::vector<TensorInfo> infer_slice(const Node& node, const std::vector<TensorInfo>& in) {
  static const char* const kNames[] = {"data", "starts", "ends", "axes", "steps"};
  const Tensor* parts[5] = {};
  for (size_t i = 1; i < 5; ++i) {
    if (!has_input(in, i)) continue;
    require_index_dtype(node, in[i], kNames[i]);
    parts[i] = &require_value(node, in, i, kNames[i]);
  }
  const std::vector<SliceAxis> axes =
      resolve_slice(node, in[0].dims, *parts[1], *parts[2], parts[3], parts[4]);
  Dims out;
  for (const SliceAxis& a : axes) out.push_back(a.count);
  return {make_info(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_shape(const Node& node, const std::vector<TensorInfo>& in) {
  const int64_t rank = rank_of(in[0]);
  int64_t start = node.attr_int("start", 0);
  int64_t end = node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  return {make_info(DataType::kS64, {std::max<int64_t>(0, end - start)})};
}

std::vector<TensorInfo> infer_gather(const Node& node, const std::vector<TensorInfo>& in) {
  require_index_dtype(node, in[1], "indices");
  const int64_t rank = rank_of(in[0]);
  const size_t axis = static_cast<size_t>(normalize_axis(node, node.attr_int("axis", 0), rank));
  const auto split_at = in[0].dims.begin() + static_cast<std::ptrdiff_t>(axis);
  Dims out(in[0].dims.begin(), split_at);
  out.insert(out.end(), in[1].dims.begin(), in[1].dims.end());
  out.insert(out.end(), split_at + 1, in[0].dims.end());
  return {make_info(in[0].dtype, out)};
}

// ScatterND (opset 11-18; reduction none, add, mul, max, min): data's dtype and dims; indices [...,
// k] with k <= rank(data); updates of dims indices.dims[:-1] + data.dims[k:] in data's dtype.
std::vector<TensorInfo> infer_scatter_nd(const Node& node, const std::vector<TensorInfo>& in) {
  require_index_dtype(node, in[1], "indices");
  const std::string reduction = node.attr_string("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" && reduction != "max" &&
      reduction != "min") {
    invalid(node, "reduction is '" + reduction + "', expected none, add, mul, max or min");
  }
  const Dims& data = in[0].dims;
  const Dims& indices = in[1].dims;
  if (indices.empty()) invalid(node, "indices must have rank >= 1");
  const int64_t k = indices.back();
  if (k >= 0 && (k < 1 || k > static_cast<int64_t>(data.size()))) {
    invalid(node, "indices address " + std::to_string(k) + " dims of a rank-" +
                      std::to_string(data.size()) + " tensor");
  }
  if (in[2].dtype != in[0].dtype) invalid(node, "updates' dtype differs from data's");
  if (k >= 0) {
    Dims want(indices.begin(), indices.end() - 1);
    want.insert(want.end(), data.begin() + k, data.end());
    bool fits = want.size() == in[2].dims.size();
    for (size_t i = 0; fits && i < want.size(); ++i) {
      fits = want[i] < 0 || in[2].dims[i] < 0 || want[i] == in[2].dims[i];
    }
    if (!fits) {
      invalid(node, "updates " + dims_to_string(in[2].dims) + " should be " + dims_to_string(want));
    }
  }
  return {make_info(in[0].dtype, data)};
}

// Normalised, duplicate-free axes from input 1 against `rank`.
std::vector<bool> axes_mask(const Node& node, const std::vector<TensorInfo>& in, int64_t rank) {
  require_index_dtype(node, in[1], "axes");
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  for (int64_t axis : require_value(node, in, 1, "axes").to_int64()) {
    const size_t a = static_cast<size_t>(normalize_axis(node, axis, rank));
    if (mask[a]) invalid(node, "axis " + std::to_string(axis) + " is repeated");
    mask[a] = true;
  }
  return mask;
}

std::vector<TensorInfo> infer_unsqueeze(const Node& node, const std::vector<TensorInfo>& in) {
  const int64_t count = require_value(node, in, 1, "axes").numel();
  const std::vector<bool> mask = axes_mask(node, in, rank_of(in[0]) + count);
  Dims out;
  size_t next = 0;
  for (bool inserted : mask) out.push_back(inserted ? 1 : in[0].dims[next++]);
  return {make_info(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_squeeze(const Node& node, const std::vector<TensorInfo>& in) {
  const int64_t rank = rank_of(in[0]);
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  if (has_input(in, 1)) {
    mask = axes_mask(node, in, rank);
  } else {
    for (size_t d = 0; d < mask.size(); ++d) mask[d] = in[0].dims[d] == 1;
  }
  Dims out;
  for (size_t d = 0; d < mask.size(); ++d) {
    if (!mask[d]) {
      out.push_back(in[0].dims[d]);
    } else if (in[0].dims[d] != 1) {
      invalid(node, "cannot squeeze dimension " + std::to_string(d) + " of size " +
                        std::to_string(in[0].dims[d]));
    }
  }
  return {make_info(in[0].dtype, out)};
}

std::vector<TensorInfo> infer_cast(const Node& node, const std::vector<TensorInfo>& in) {
  if (!node.has_attr("to")) invalid(node, "attribute 'to' is required");
  const int64_t to = node.attr_int("to", 0);
  if (to <= static_cast<int64_t>(DataType::kUndefined) || to >= kNumDataTypes) {
    throw_error(ErrorCode::kUnsupported,
                node.describe() + ": cannot cast to lowp dtype " + std::to_string(to));
  }
  if (in[0].dtype == DataType::kUndefined) invalid(node, "input dtype is undefined");
  return {make_info(static_cast<DataType>(to), in[0].dims)};
}

}  // namespace

void append_tensor_schemas(std::vector<OpSchema>& out) {
  constexpr int kVariadic = std::numeric_limits<int>::max();
  out.push_back({"Identity", 1, 1, infer_same});
  out.push_back({"Dropout", 1, 3, infer_dropout, Fp16Policy::kFollowInputs, 0b110});
  out.push_back(
      {"Flatten", 1, 1, infer_flatten, Fp16Policy::kFollowInputs, 0, Int8Role::kPassThrough, 0b1});
  out.push_back({"Reshape", 2, 2, infer_reshape, Fp16Policy::kFollowInputs, 0b10,
                 Int8Role::kPassThrough, 0b1});
  out.push_back({"Transpose", 1, 1, infer_transpose});
  out.push_back({"Concat", 1, kVariadic, infer_concat});
  out.push_back({"Split", 1, 2, infer_split, Fp16Policy::kFollowInputs, 0b10});
  out.push_back({"Slice", 3, 5, infer_slice, Fp16Policy::kFollowInputs, 0b11110});
  out.push_back({"Shape", 1, 1, infer_shape});
  out.push_back({"Gather", 2, 2, infer_gather});
  out.push_back({"ScatterND", 3, 3, infer_scatter_nd});
  out.push_back({"Unsqueeze", 2, 2, infer_unsqueeze, Fp16Policy::kFollowInputs, 0b10});
  out.push_back({"Squeeze", 1, 2, infer_squeeze, Fp16Policy::kFollowInputs, 0b10});
  out.push_back({"Cast", 1, 1, infer_cast, Fp16Policy::kNever});
}

}  // namespace lowp
