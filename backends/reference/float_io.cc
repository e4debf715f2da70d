#include "backends/reference/float_io.h"

#include <cstring>

#include "lowp/error.h"

namespace lowp::reference {

void store_floats(const std::vector<float>& values, Tensor& out) {
  if (static_cast<int64_t>(values.size()) != out.numel()) {
    throw_error(ErrorCode::kInternal, "store_floats: " + std::to_string(values.size()) +
                                          " values for a tensor of " + dims_to_string(out.dims()));
  }
  switch (out.dtype()) {
    case DataType::kF32:
      if (!values.empty()) std::memcpy(out.raw(), values.data(), values.size() * sizeof(float));
      break;
    case DataType::kF16:
      for (size_t i = 0; i < values.size(); ++i) out.data<uint16_t>()[i] = float_to_half(values[i]);
      break;
    case DataType::kBF16:
      for (size_t i = 0; i < values.size(); ++i) out.data<uint16_t>()[i] = float_to_bf16(values[i]);
      break;
    default:
      throw_error(ErrorCode::kInternal, std::string("store_floats: output dtype ") +
                                            name_of(out.dtype()) + " is not float");
  }
}

}  // namespace lowp::reference
