#include "core/ops/tensor_info_checks.h"

#include "lowp/error.h"

namespace lowp {

bool is_float_type(DataType type) {
  return type == DataType::kF32 || type == DataType::kF16 || type == DataType::kBF16;
}

bool is_integer_type(DataType type) {
  return type == DataType::kS8 || type == DataType::kU8 || type == DataType::kS32 ||
         type == DataType::kS64;
}

bool has_input(const std::vector<TensorInfo>& inputs, size_t i) {
  return i < inputs.size() && inputs[i].present;
}

const Tensor& require_value(const Node& node, const std::vector<TensorInfo>& inputs, size_t i,
                            const std::string& what) {
  if (!has_input(inputs, i)) {
    throw_error(ErrorCode::kInvalidModel,
                node.describe() + ": input " + std::to_string(i) + " (" + what + ") is missing");
  }
  if (!inputs[i].value) {
    throw_error(ErrorCode::kUnsupported, node.describe() + ": input " + std::to_string(i) + " (" +
                                             what + ") must be a constant to infer output dims");
  }
  return *inputs[i].value;
}

void require_dtype(const Node& node, bool ok, DataType got, const std::string& expected) {
  if (!ok) {
    throw_error(ErrorCode::kUnsupported,
                node.describe() + ": expects " + expected + ", got " + name_of(got));
  }
}

int64_t normalize_axis(const Node& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    throw_error(ErrorCode::kInvalidModel, node.describe() + ": axis " + std::to_string(axis) +
                                              " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

TensorInfo make_info(DataType dtype, Dims dims) {
  TensorInfo info;
  info.dtype = dtype;
  info.dims = std::move(dims);
  return info;
}

}  // namespace lowp
