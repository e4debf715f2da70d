// f32 views of kernel inputs and outputs: float kernels compute in f32 whatever the stored float
// type; f32 tensors are used in place, f16 / bf16 / integer ones are converted.
#pragma once

#include <vector>

#include "lowp/tensor.h"

namespace lowp::reference {

class FloatInput {
 public:
  explicit FloatInput(const Tensor& t);
  const float* data() const { return data_; }

 private:
  std::vector<float> owned_;
  const float* data_;
};

// Writes into the output in place when it is f32, else into scratch that commit() converts.
class FloatOutput {
 public:
  explicit FloatOutput(Tensor* t);
  float* data() { return data_; }
  void commit();

 private:
  Tensor* tensor_;
  std::vector<float> owned_;
  float* data_;
};

}  // namespace lowp::reference
