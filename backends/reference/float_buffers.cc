#include "backends/reference/float_buffers.h"

#include <cmath>
#include <cstring>

#include "lowp/error.h"

namespace lowp::reference {

FloatInput::FloatInput(const Tensor& t) {
  if (t.dtype() == DataType::kF32) {
    data_ = t.data<float>();
  } else {
    owned_ = t.to_float();
    data_ = owned_.data();
  }
}

FloatOutput::FloatOutput(Tensor* t) : tensor_(t) {
  if (t->dtype() == DataType::kF32) {
    data_ = t->data<float>();
  } else {
    owned_.assign(static_cast<size_t>(t->numel()), 0.f);
    data_ = owned_.data();
  }
}

void FloatOutput::commit() {
  if (tensor_->dtype() == DataType::kF32) return;
  const size_t n = owned_.size();
  switch (tensor_->dtype()) {
    case DataType::kF16:
      for (size_t i = 0; i < n; ++i) tensor_->data<uint16_t>()[i] = float_to_half(owned_[i]);
      break;
    case DataType::kBF16:
      for (size_t i = 0; i < n; ++i) tensor_->data<uint16_t>()[i] = float_to_bf16(owned_[i]);
      break;
    case DataType::kS8:
      for (size_t i = 0; i < n; ++i) {
        tensor_->data<int8_t>()[i] =
            static_cast<int8_t>(std::fmin(127.f, std::fmax(-128.f, owned_[i])));
      }
      break;
    case DataType::kU8:
      for (size_t i = 0; i < n; ++i) {
        tensor_->data<uint8_t>()[i] =
            static_cast<uint8_t>(std::fmin(255.f, std::fmax(0.f, owned_[i])));
      }
      break;
    default:
      throw_error(ErrorCode::kInternal,
                  std::string("float kernel cannot write dtype ") + name_of(tensor_->dtype()));
  }
}

}  // namespace lowp::reference
