#include "reference/float_io.h"

#include <cmath>
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
    case DataType::kS8:  // saturating (quantized kernels round before storing)
      for (size_t i = 0; i < values.size(); ++i) {
        out.data<int8_t>()[i] = static_cast<int8_t>(std::fmin(127.f, std::fmax(-128.f, values[i])));
      }
      break;
    case DataType::kU8:
      for (size_t i = 0; i < values.size(); ++i) {
        out.data<uint8_t>()[i] = static_cast<uint8_t>(std::fmin(255.f, std::fmax(0.f, values[i])));
      }
      break;
    default:
      throw_error(ErrorCode::kInternal, std::string("store_floats: output dtype ") +
                                            name_of(out.dtype()) + " is not float");
  }
}

}  // namespace lowp::reference
