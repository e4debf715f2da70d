// LayerNormalization: each row (the axes from `axis` on) normalised with its own mean and
// variance (f64 sums), then scaled and shifted (Scale, B broadcast to the row).
#include <cmath>
#include <vector>

#include "core/ops/broadcast.h"
#include "reference/float_io.h"
#include "reference/nn_kernel_list.h"

namespace lowp::reference {

void layer_norm_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& x = *in[0];
  const auto rank = static_cast<int64_t>(x.dims().size());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  const Dims row_dims(x.dims().begin() + axis, x.dims().end());
  const int64_t row = element_count(row_dims);
  const int64_t rows = row == 0 ? 0 : x.numel() / row;
  const float epsilon = node.attr_float("epsilon", 1e-5f);
  // Scale and B laid out over one row.
  auto per_row = [&](const Tensor* t, float fallback) {
    if (!t) return std::vector<float>(static_cast<size_t>(row), fallback);
    return broadcast_values(load_floats(*t), t->dims(), row_dims);
  };
  const std::vector<float> scale = per_row(in[1], 1.f);
  const std::vector<float> bias = per_row(in.size() > 2 ? in[2] : nullptr, 0.f);
  const std::vector<float> v = load_floats(x);
  std::vector<float> y(v.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = v.data() + r * row;
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < row; ++i) sum += src[i];
    const double mean = sum / static_cast<double>(row);
    for (int64_t i = 0; i < row; ++i) squares += (src[i] - mean) * (src[i] - mean);
    const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(row) + epsilon);
    for (int64_t i = 0; i < row; ++i) {
      y[static_cast<size_t>(r * row + i)] = static_cast<float>(
          (src[i] - mean) * inv_std * scale[static_cast<size_t>(i)] + bias[static_cast<size_t>(i)]);
    }
    if (out.size() > 1 && out[1]) out[1]->data<float>()[r] = static_cast<float>(mean);
    if (out.size() > 2 && out[2]) out[2]->data<float>()[r] = static_cast<float>(inv_std);
  }
  store_floats(y, *out[0]);
}

}  // namespace lowp::reference
