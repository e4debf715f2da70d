// MaxPool (with Indices and storage_order), AveragePool (count_include_pad) and the global pools.
// Windows follow nn::window_geometry, including ceil_mode windows that run past the end padding.
#include <algorithm>
#include <limits>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/nn_kernel_list.h"
#include "reference/quantized_compute.h"

namespace lowp::reference {
namespace {

Geometry3d pool_geometry(const Node& node, const Tensor& x) {
  const Dims in_spatial(x.dims().begin() + 2, x.dims().end());
  return to_3d(nn::window_geometry(node, in_spatial, node.attr_ints("kernel_shape"), true),
               in_spatial);
}

// Calls fn(out_index, start) for every output position of one plane; the window's taps along dim i
// are start[i] + t * dilation[i] for t in [0, kernel[i]).
template <typename Fn>
void for_each_window(const Geometry3d& g, Fn&& fn) {
  int64_t index = 0;
  for (int64_t od = 0; od < g.out[0]; ++od) {
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      for (int64_t ow = 0; ow < g.out[2]; ++ow) {
        const int64_t start[3] = {od * g.stride[0] - g.pad_begin[0],
                                  oh * g.stride[1] - g.pad_begin[1],
                                  ow * g.stride[2] - g.pad_begin[2]};
        fn(index++, start);
      }
    }
  }
}

}  // namespace

void max_pool_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                     const std::vector<Tensor*>& outputs) {
  if (run_dequantized(node, inputs, outputs, max_pool_kernel)) return;  // int8 contract
  const Tensor& x = *inputs[0];
  const Geometry3d g = pool_geometry(node, x);
  Tensor* indices = outputs.size() > 1 ? outputs[1] : nullptr;
  const bool column_major = node.attr_int("storage_order", 0) == 1;
  const int64_t planes = x.dims()[0] * x.dims()[1];
  const int64_t in_size = g.in[0] * g.in[1] * g.in[2];
  const int64_t out_size = g.out[0] * g.out[1] * g.out[2];
  FloatInput xf(x);
  FloatOutput yf(outputs[0]);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xp = xf.data() + plane * in_size;
    float* yp = yf.data() + plane * out_size;
    for_each_window(g, [&](int64_t o, const int64_t* start) {
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_index = -1;
      int64_t best_pos[3] = {0, 0, 0};
      for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
        const int64_t d = start[0] + kd * g.dilation[0];
        if (d < 0 || d >= g.in[0]) continue;
        for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
          const int64_t h = start[1] + kh * g.dilation[1];
          if (h < 0 || h >= g.in[1]) continue;
          for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
            const int64_t w = start[2] + kw * g.dilation[2];
            if (w < 0 || w >= g.in[2]) continue;
            const int64_t i = (d * g.in[1] + h) * g.in[2] + w;
            if (best_index < 0 || xp[i] > best) {
              best = xp[i];
              best_index = i;
              best_pos[0] = d;
              best_pos[1] = h;
              best_pos[2] = w;
            }
          }
        }
      }
      yp[o] = best_index < 0 ? 0.f : best;
      if (indices) {
        int64_t flat = best_index;
        if (column_major) flat = (best_pos[2] * g.in[1] + best_pos[1]) * g.in[0] + best_pos[0];
        indices->data<int64_t>()[plane * out_size + o] = plane * in_size + flat;
      }
    });
  }
  yf.commit();
}

void average_pool_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                         const std::vector<Tensor*>& outputs) {
  if (run_dequantized(node, inputs, outputs, average_pool_kernel)) return;  // int8 contract
  const Tensor& x = *inputs[0];
  const Geometry3d g = pool_geometry(node, x);
  const bool include_pad = node.attr_int("count_include_pad", 0) != 0;
  const int64_t planes = x.dims()[0] * x.dims()[1];
  const int64_t in_size = g.in[0] * g.in[1] * g.in[2];
  const int64_t out_size = g.out[0] * g.out[1] * g.out[2];
  FloatInput xf(x);
  FloatOutput yf(outputs[0]);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xp = xf.data() + plane * in_size;
    float* yp = yf.data() + plane * out_size;
    for_each_window(g, [&](int64_t o, const int64_t* start) {
      float sum = 0.f;
      int64_t valid = 0;
      int64_t padded = 0;  // taps inside input + pads (ceil_mode overflow excluded)
      for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
        const int64_t d = start[0] + kd * g.dilation[0];
        const bool d_in = d >= 0 && d < g.in[0];
        const bool d_pad = d >= -g.pad_begin[0] && d < g.in[0] + g.pad_end[0];
        for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
          const int64_t h = start[1] + kh * g.dilation[1];
          const bool h_in = h >= 0 && h < g.in[1];
          const bool h_pad = h >= -g.pad_begin[1] && h < g.in[1] + g.pad_end[1];
          for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
            const int64_t w = start[2] + kw * g.dilation[2];
            const bool w_in = w >= 0 && w < g.in[2];
            const bool w_pad = w >= -g.pad_begin[2] && w < g.in[2] + g.pad_end[2];
            if (d_pad && h_pad && w_pad) ++padded;
            if (d_in && h_in && w_in) {
              sum += xp[(d * g.in[1] + h) * g.in[2] + w];
              ++valid;
            }
          }
        }
      }
      const int64_t count = include_pad ? padded : valid;
      yp[o] = count > 0 ? sum / static_cast<float>(count) : 0.f;
    });
  }
  yf.commit();
}

void global_average_pool_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                                const std::vector<Tensor*>& outputs) {
  if (run_dequantized(node, inputs, outputs, global_average_pool_kernel)) return;  // int8 contract
  const Tensor& x = *inputs[0];
  const int64_t planes = x.dims()[0] * x.dims()[1];
  const int64_t size = planes > 0 ? x.numel() / planes : 0;
  FloatInput xf(x);
  FloatOutput yf(outputs[0]);
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0.0;
    for (int64_t i = 0; i < size; ++i) sum += xf.data()[p * size + i];
    yf.data()[p] = size > 0 ? static_cast<float>(sum / static_cast<double>(size)) : 0.f;
  }
  yf.commit();
}

void global_max_pool_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                            const std::vector<Tensor*>& outputs) {
  const Tensor& x = *inputs[0];
  const int64_t planes = x.dims()[0] * x.dims()[1];
  const int64_t size = planes > 0 ? x.numel() / planes : 0;
  FloatInput xf(x);
  FloatOutput yf(outputs[0]);
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = xf.data() + p * size;
    yf.data()[p] = size > 0 ? *std::max_element(xp, xp + size) : 0.f;
  }
  yf.commit();
}

}  // namespace lowp::reference
