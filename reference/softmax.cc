// Softmax over `axis`, or (with `_coerce_2d`, opset < 13) over all dims from `axis` on.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/nn_kernel_list.h"

namespace lowp::reference {

void softmax_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                    const std::vector<Tensor*>& outputs) {
  const Tensor& x = *inputs[0];
  const Dims& d = x.dims();
  const int64_t rank = x.rank();
  const int64_t axis = normalize_axis(node, node.attr_int("axis", -1), rank);
  const bool coerce = node.attr_int("_coerce_2d", 0) != 0;
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= d[static_cast<size_t>(i)];
  int64_t len = d[static_cast<size_t>(axis)];
  int64_t inner = 1;
  for (int64_t i = axis + 1; i < rank; ++i) inner *= d[static_cast<size_t>(i)];
  if (coerce) {
    len *= inner;
    inner = 1;
  }
  FloatInput xf(x);
  FloatOutput yf(outputs[0]);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const float* xp = xf.data() + o * len * inner + in;
      float* yp = yf.data() + o * len * inner + in;
      float max = -INFINITY;
      for (int64_t i = 0; i < len; ++i) max = std::max(max, xp[i * inner]);
      double sum = 0.0;
      for (int64_t i = 0; i < len; ++i) {
        yp[i * inner] = std::exp(xp[i * inner] - max);
        sum += yp[i * inner];
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t i = 0; i < len; ++i) yp[i * inner] *= inv;
    }
  }
  yf.commit();
}

}  // namespace lowp::reference
