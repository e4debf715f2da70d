// BatchNormalization, inference form: y = (x - mean) / sqrt(var + epsilon) * scale + B per channel.
#include <cmath>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/nn_kernel_list.h"

namespace lowp::reference {

void batch_norm_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                       const std::vector<Tensor*>& outputs) {
  const Tensor& x = *inputs[0];
  const float epsilon = node.attr_float("epsilon", 1e-5f);
  const int64_t batch = x.dims()[0];
  const int64_t channels = x.dims()[1];
  const int64_t inner = batch * channels > 0 ? x.numel() / (batch * channels) : 0;
  FloatInput xf(x);
  FloatInput scale(*inputs[1]);
  FloatInput shift(*inputs[2]);
  FloatInput mean(*inputs[3]);
  FloatInput var(*inputs[4]);
  FloatOutput yf(outputs[0]);
  for (int64_t c = 0; c < channels; ++c) {
    const float mul = scale.data()[c] / std::sqrt(var.data()[c] + epsilon);
    const float add = shift.data()[c] - mean.data()[c] * mul;
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t base = (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) yf.data()[base + i] = xf.data()[base + i] * mul + add;
    }
  }
  yf.commit();
}

}  // namespace lowp::reference
