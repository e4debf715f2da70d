// ConvTranspose: per (image, group) one GEMM of the transposed weights with the input, then the
// column buffer is scattered (col2im) into the output, cropped by the pads; then bias.
#include <algorithm>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/gemm_f32.h"
#include "reference/nn_kernel_list.h"

namespace lowp::reference {
namespace {

// Adds col[(m * taps + tap) * in_size + i] into y[m, position of input i shifted by tap].
void col2im(const float* col, int64_t channels, const Geometry3d& g, float* y) {
  const int64_t out_size = g.out[0] * g.out[1] * g.out[2];
  const float* src = col;
  for (int64_t m = 0; m < channels; ++m) {
    float* ym = y + m * out_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
          for (int64_t id = 0; id < g.in[0]; ++id) {
            const int64_t od = id * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            for (int64_t ih = 0; ih < g.in[1]; ++ih) {
              const int64_t oh = ih * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
              const bool row_ok = od >= 0 && od < g.out[0] && oh >= 0 && oh < g.out[1];
              float* row = row_ok ? ym + (od * g.out[1] + oh) * g.out[2] : nullptr;
              for (int64_t iw = 0; iw < g.in[2]; ++iw, ++src) {
                const int64_t ow = iw * g.stride[2] - g.pad_begin[2] + kw * g.dilation[2];
                if (row_ok && ow >= 0 && ow < g.out[2]) row[ow] += *src;
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

void conv_transpose_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                           const std::vector<Tensor*>& outputs) {
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* bias = inputs.size() > 2 ? inputs[2] : nullptr;
  Tensor& y = *outputs[0];
  const Dims in_spatial(x.dims().begin() + 2, x.dims().end());
  const Dims kernel(w.dims().begin() + 2, w.dims().end());
  const Geometry3d g = to_3d(nn::transposed_geometry(node, in_spatial, kernel), in_spatial);

  const int64_t batch = x.dims()[0];
  const int64_t channels = x.dims()[1];
  const int64_t group = node.attr_int("group", 1);
  const int64_t cg = channels / group;
  const int64_t mg = w.dims()[1];
  const int64_t out_channels = mg * group;
  const int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  const int64_t in_size = g.in[0] * g.in[1] * g.in[2];
  const int64_t out_size = g.out[0] * g.out[1] * g.out[2];
  const int64_t rows = mg * taps;

  FloatInput xf(x);
  FloatInput wf(w);
  FloatOutput yf(&y);
  float* out = yf.data();
  std::fill(out, out + y.numel(), 0.f);
  std::vector<float> wt(static_cast<size_t>(rows * cg));
  std::vector<float> col(static_cast<size_t>(rows * in_size));
  for (int64_t gi = 0; gi < group; ++gi) {
    transpose_f32(wf.data() + gi * cg * rows, cg, rows, wt.data());
    for (int64_t n = 0; n < batch; ++n) {
      std::fill(col.begin(), col.end(), 0.f);
      gemm_f32(rows, in_size, cg, wt.data(), cg, xf.data() + (n * channels + gi * cg) * in_size,
               in_size, col.data(), in_size);
      col2im(col.data(), mg, g, out + (n * out_channels + gi * mg) * out_size);
    }
  }
  if (bias) {
    FloatInput bf(*bias);
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t m = 0; m < out_channels; ++m) {
        float* row = out + (n * out_channels + m) * out_size;
        for (int64_t p = 0; p < out_size; ++p) row[p] += bf.data()[m];
      }
    }
  }
  yf.commit();
}

}  // namespace lowp::reference
