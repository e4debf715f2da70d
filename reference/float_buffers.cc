#include "reference/float_buffers.h"

#include "reference/float_io.h"

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
  if (tensor_->dtype() != DataType::kF32) store_floats(owned_, *tensor_);
}

}  // namespace lowp::reference
