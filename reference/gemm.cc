// Gemm (transA / transB, alpha, beta, broadcast C, fused activation) and MatMul (numpy batch
// broadcasting, 1-D operands), both on gemm_f32.
#include <algorithm>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/fused_activation.h"
#include "reference/gemm_f32.h"
#include "reference/nn_kernel_list.h"
#include "reference/quantized_compute.h"

namespace lowp::reference {

void gemm_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                 const std::vector<Tensor*>& outputs) {
  if (run_dequantized(node, inputs, outputs, gemm_kernel)) return;  // int8 contract
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const Tensor* c = inputs.size() > 2 ? inputs[2] : nullptr;
  Tensor& y = *outputs[0];
  const bool ta = node.attr_int("transA", 0) != 0;
  const bool tb = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.f);
  const float beta = node.attr_float("beta", 1.f);
  const int64_t m = y.dims()[0];
  const int64_t n = y.dims()[1];
  const int64_t k = a.dims()[ta ? 0 : 1];

  FloatInput af(a);
  FloatInput bf(b);
  FloatOutput yf(&y);
  float* out = yf.data();
  std::fill(out, out + y.numel(), 0.f);
  std::vector<float> at;
  std::vector<float> bt;
  const float* ap = af.data();
  const float* bp = bf.data();
  if (ta) {
    at.resize(static_cast<size_t>(m * k));
    transpose_f32(ap, k, m, at.data());
    ap = at.data();
  }
  if (tb) {
    bt.resize(static_cast<size_t>(k * n));
    transpose_f32(bp, n, k, bt.data());
    bp = bt.data();
  }
  gemm_f32(m, n, k, ap, k, bp, n, out, n);
  if (alpha != 1.f) {
    for (int64_t i = 0; i < m * n; ++i) out[i] *= alpha;
  }
  if (c && beta != 0.f) {
    FloatInput cf(*c);
    const Dims& cd = c->dims();
    // Broadcast strides of C over [m, n]: a dim of size 1 (or a missing dim) has stride 0.
    const int64_t cn = cd.empty() ? 1 : cd.back();
    const int64_t cm = cd.size() == 2 ? cd[0] : 1;
    const int64_t row_stride = cm == 1 ? 0 : cn;
    const int64_t col_stride = cn == 1 ? 0 : 1;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        out[i * n + j] += beta * cf.data()[i * row_stride + j * col_stride];
      }
    }
  }
  apply_fused_activation(node, out, y.numel());
  yf.commit();
}

void matmul_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor*>& outputs) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor& y = *outputs[0];
  Dims ad = a.dims();
  Dims bd = b.dims();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2];
  const int64_t k = ad.back();
  const int64_t n = bd.back();
  // Batch dims, right-aligned and padded with 1s to a common rank.
  const size_t batch_rank = std::max(ad.size(), bd.size()) - 2;
  Dims a_batch(batch_rank, 1);
  Dims b_batch(batch_rank, 1);
  std::copy(ad.begin(), ad.end() - 2, a_batch.end() - static_cast<int64_t>(ad.size() - 2));
  std::copy(bd.begin(), bd.end() - 2, b_batch.end() - static_cast<int64_t>(bd.size() - 2));
  Dims out_batch(batch_rank);
  // Broadcast: a 1 takes the other side's size (0 included: max() would make 0 and 1 a 1).
  for (size_t i = 0; i < batch_rank; ++i) out_batch[i] = a_batch[i] == 1 ? b_batch[i] : a_batch[i];
  const int64_t batches = element_count(out_batch);

  FloatInput af(a);
  FloatInput bf(b);
  FloatOutput yf(&y);
  std::fill(yf.data(), yf.data() + y.numel(), 0.f);
  Dims index(batch_rank, 0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t a_off = 0;
    int64_t b_off = 0;
    for (size_t i = 0; i < batch_rank; ++i) {
      a_off = a_off * a_batch[i] + (a_batch[i] == 1 ? 0 : index[i]);
      b_off = b_off * b_batch[i] + (b_batch[i] == 1 ? 0 : index[i]);
    }
    gemm_f32(m, n, k, af.data() + a_off * m * k, k, bf.data() + b_off * k * n, n,
             yf.data() + bi * m * n, n);
    for (size_t i = batch_rank; i-- > 0;) {
      if (++index[i] < out_batch[i]) break;
      index[i] = 0;
    }
  }
  // lowp's fused form: a bias of N added to every row, then the fused activation.
  if (inputs.size() > 2 && inputs[2] != nullptr) {
    const std::vector<float> bias = inputs[2]->to_float();
    float* out = yf.data();
    for (int64_t i = 0; i < y.numel(); ++i) out[i] += bias[static_cast<size_t>(i % n)];
  }
  apply_fused_activation(node, yf.data(), y.numel());
  yf.commit();
}

}  // namespace lowp::reference
