// Conv: im2col per (image, group) then one blocked GEMM; bias, the residual input 3 and the fused
// activation are applied to the result in that order.
#include <algorithm>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/fused_activation.h"
#include "reference/gemm_f32.h"
#include "reference/nn_kernel_list.h"
#include "reference/quantized_compute.h"

namespace lowp::reference {
namespace {

// col[(c * taps + tap) * out_size + p] = x[c, input position of output p shifted by tap], 0 in
// pads.
void im2col(const float* x, int64_t channels, const Geometry3d& g, float* col) {
  const int64_t in_size = g.in[0] * g.in[1] * g.in[2];
  const int64_t out_plane = g.out[1] * g.out[2];
  float* dst = col;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * in_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
          for (int64_t od = 0; od < g.out[0]; ++od) {
            const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            if (id < 0 || id >= g.in[0]) {
              std::fill(dst, dst + out_plane, 0.f);
              dst += out_plane;
              continue;
            }
            for (int64_t oh = 0; oh < g.out[1]; ++oh) {
              const int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
              if (ih < 0 || ih >= g.in[1]) {
                std::fill(dst, dst + g.out[2], 0.f);
                dst += g.out[2];
                continue;
              }
              const float* row = xc + (id * g.in[1] + ih) * g.in[2];
              const int64_t iw0 = -g.pad_begin[2] + kw * g.dilation[2];
              for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                const int64_t iw = iw0 + ow * g.stride[2];
                *dst++ = (iw >= 0 && iw < g.in[2]) ? row[iw] : 0.f;
              }
            }
          }
        }
      }
    }
  }
}

bool is_pointwise(const Geometry3d& g) {
  for (int i = 0; i < 3; ++i) {
    if (g.kernel[i] != 1 || g.stride[i] != 1 || g.pad_begin[i] != 0 || g.pad_end[i] != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

void conv_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                 const std::vector<Tensor*>& outputs) {
  if (run_dequantized(node, inputs, outputs, conv_kernel)) return;  // int8 contract
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* bias = inputs.size() > 2 ? inputs[2] : nullptr;
  const Tensor* residual = inputs.size() > 3 ? inputs[3] : nullptr;
  Tensor& y = *outputs[0];
  const Dims in_spatial(x.dims().begin() + 2, x.dims().end());
  const Dims kernel(w.dims().begin() + 2, w.dims().end());
  const Geometry3d g = to_3d(nn::window_geometry(node, in_spatial, kernel, false), in_spatial);

  const int64_t batch = x.dims()[0];
  const int64_t channels = x.dims()[1];
  const int64_t out_channels = w.dims()[0];
  const int64_t group = node.attr_int("group", 1);
  const int64_t cg = channels / group;
  const int64_t mg = out_channels / group;
  const int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  const int64_t in_size = g.in[0] * g.in[1] * g.in[2];
  const int64_t out_size = g.out[0] * g.out[1] * g.out[2];
  const int64_t k = cg * taps;

  FloatInput xf(x);
  FloatInput wf(w);
  FloatOutput yf(&y);
  float* out = yf.data();
  std::fill(out, out + y.numel(), 0.f);
  const bool pointwise = is_pointwise(g);
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(k * out_size));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t gi = 0; gi < group; ++gi) {
      const float* xg = xf.data() + (n * channels + gi * cg) * in_size;
      const float* b = xg;
      if (!pointwise) {
        im2col(xg, cg, g, col.data());
        b = col.data();
      }
      gemm_f32(mg, out_size, k, wf.data() + gi * mg * k, k, b, out_size,
               out + (n * out_channels + gi * mg) * out_size, out_size);
    }
  }
  if (bias) {
    FloatInput bf(*bias);
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t m = 0; m < out_channels; ++m) {
        float* row = out + (n * out_channels + m) * out_size;
        const float bv = bf.data()[m];
        for (int64_t p = 0; p < out_size; ++p) row[p] += bv;
      }
    }
  }
  if (residual) {
    FloatInput rf(*residual);
    for (int64_t i = 0; i < y.numel(); ++i) out[i] += rf.data()[i];
  }
  apply_fused_activation(node, out, y.numel());
  yf.commit();
}

}  // namespace lowp::reference
