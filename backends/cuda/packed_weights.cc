#include "backends/cuda/packed_weights.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "lowp/error.h"

namespace lowp::cuda {
namespace {

[[noreturn]] void unsupported(const Node& node, const std::string& why) {
  throw_error(ErrorCode::kUnsupported, node.describe() + ": the CUDA backend " + why);
}

GemmType gemm_type(const Node& node, DataType weights, bool tf32) {
  switch (weights) {
    case DataType::kF32:
      return tf32 ? GemmType::kTf32 : GemmType::kF32;
    case DataType::kF16:
      return GemmType::kF16;
    case DataType::kS8:
      return GemmType::kS8;
    default:
      unsupported(node, std::string("takes f32, f16 or s8 weights, not ") + name_of(weights));
  }
}

// dst[o][j] = src element source_index(o, j) for o < n and j < k; zero elsewhere in the
// [n_gemm, k_padded] result.
template <typename Index>
std::vector<uint8_t> pack_rows(const Tensor& src, int64_t n, int64_t n_gemm, int64_t k,
                               int64_t k_padded, Index source_index) {
  const size_t esize = size_of(src.dtype());
  std::vector<uint8_t> out(static_cast<size_t>(n_gemm * k_padded) * esize, 0);
  const auto* in = static_cast<const uint8_t*>(src.raw());
  for (int64_t o = 0; o < n; ++o) {
    for (int64_t j = 0; j < k; ++j) {
      std::memcpy(&out[static_cast<size_t>(o * k_padded + j) * esize],
                  &in[static_cast<size_t>(source_index(o, j)) * esize], esize);
    }
  }
  return out;
}

// Bias (present or not), alpha / beta scaling for floats and the int8 extras.
void finish(PackedLinear& p, const Node& node, const Value* bias, std::vector<uint8_t> packed,
            const Value* weight_value) {
  const std::string what = node.describe() + " weights";
  p.weights = DeviceBuffer::upload(packed.data(), packed.size(), what);
  if (p.type == GemmType::kS8) {
    std::vector<int32_t> sums(static_cast<size_t>(p.n), 0);
    const auto* w = reinterpret_cast<const int8_t*>(packed.data());
    for (int64_t o = 0; o < p.n; ++o) {
      for (int64_t j = 0; j < p.k_padded; ++j) sums[o] += w[o * p.k_padded + j];
    }
    p.w_sum = DeviceBuffer::upload(sums.data(), sums.size() * 4, what + " sums");
    if (!weight_value->quant) unsupported(node, "needs quantization parameters on int8 weights");
    std::vector<float> scales = weight_value->quant->scales;
    if (scales.size() == 1) scales.assign(static_cast<size_t>(p.n), scales[0]);
    if (static_cast<int64_t>(scales.size()) != p.n) {
      unsupported(node, "takes int8 weights quantized per tensor or per output channel");
    }
    for (int32_t z : weight_value->quant->zero_points) {
      if (z != 0) unsupported(node, "takes symmetric int8 weights (zero point 0)");
    }
    p.w_scale = DeviceBuffer::upload(scales.data(), scales.size() * 4, what + " scales");
    std::vector<int32_t> b(static_cast<size_t>(p.n), 0);
    if (bias) {
      if (bias->constant->dtype() != DataType::kS32) unsupported(node, "takes an s32 int8 bias");
      const std::vector<int64_t> v = bias->constant->to_int64();
      // The epilogue adds the bias in accumulator units (scale x_scale * w_scale[c]); an imported
      // bias quantized at another scale is converted.
      const Value* x = node.input(0);
      const QuantParams* bq = bias->quant ? &*bias->quant : nullptr;
      for (int64_t o = 0; o < p.n; ++o) {
        const int64_t q = v[v.size() == 1 ? 0 : o];
        if (!bq || !x->quant || bq->scales.empty()) {
          b[o] = static_cast<int32_t>(q);
          continue;
        }
        const size_t i = bq->scales.size() == 1 ? 0 : static_cast<size_t>(o);
        const int64_t z = bq->zero_points.empty() ? 0 : bq->zero_points[i];
        const double ratio = double(bq->scales[i]) / (double(x->quant->scales[0]) * scales[o]);
        b[o] = static_cast<int32_t>(std::llround(double(q - z) * ratio));
      }
    }
    p.bias = DeviceBuffer::upload(b.data(), b.size() * 4, what + " bias");
    p.host_w_sum = std::move(sums);
    p.host_bias = std::move(b);
    p.host_w_scale = std::move(scales);
    return;
  }
  if (!bias) return;
  std::vector<float> b = bias->constant->to_float();
  if (b.size() == 1) b.assign(static_cast<size_t>(p.n), b[0]);
  p.bias_f32 = DeviceBuffer::upload(b.data(), b.size() * 4, what + " bias");
  if (p.type == GemmType::kF16) {
    std::vector<uint16_t> h(b.size());
    for (size_t i = 0; i < b.size(); ++i) h[i] = float_to_half(b[i]);
    p.bias = DeviceBuffer::upload(h.data(), h.size() * 2, what + " bias (f16)");
  } else {
    p.bias = DeviceBuffer::upload(b.data(), b.size() * 4, what + " bias");
  }
}

int64_t gemm_rows(const PackedLinear& p) {
  return p.type == GemmType::kS8 ? (p.n + 3) / 4 * 4 : p.n;
}

const Tensor& constant_operand(const Node& node, size_t i, const char* role) {
  const Value* v = node.input(i);
  if (!v || !v->constant) unsupported(node, std::string("needs a constant ") + role);
  return *v->constant;
}

void check_bias(const Node& node, const Value* bias, int64_t n) {
  if (!bias) return;
  if (!bias->constant) unsupported(node, "needs a constant bias");
  const int64_t count = bias->constant->numel();
  if (count != n && count != 1) unsupported(node, "takes one bias value per output channel");
}

}  // namespace

int64_t padded_k(int64_t k) { return (k + 15) / 16 * 16; }

PackedLinear pack_conv(const Node& node, bool tf32) {
  const Tensor& w = constant_operand(node, 1, "weight");
  if (w.rank() != 4) unsupported(node, "runs 2-D convolutions only (4-D weights)");
  if (node.attr_int("group", 1) != 1) unsupported(node, "does not run grouped convolutions yet");
  PackedLinear p;
  p.type = gemm_type(node, w.dtype(), tf32);
  const int64_t cout = w.dims()[0], cin = w.dims()[1], kh = w.dims()[2], kw = w.dims()[3];
  p.n = cout;
  p.n_gemm = gemm_rows(p);
  p.k = kh * kw * cin;
  p.k_padded = padded_k(p.k);
  check_bias(node, node.input(2), p.n);
  auto packed = pack_rows(w, p.n, p.n_gemm, p.k, p.k_padded, [&](int64_t o, int64_t j) {
    const int64_t ci = j % cin, tap = j / cin, ky = tap / kw, kx = tap % kw;
    return ((o * cin + ci) * kh + ky) * kw + kx;
  });
  finish(p, node, node.input(2), std::move(packed), node.input(1));
  return p;
}

PackedLinear pack_gemm(const Node& node, bool tf32) {
  const bool matmul = node.op_type == "MatMul";
  const Tensor& b = constant_operand(node, 1, "B (weights)");
  if (b.rank() != 2) unsupported(node, "takes a 2-D constant B");
  if (!matmul && node.attr_int("transA", 0) != 0) unsupported(node, "does not run transA = 1");
  const bool trans_b = !matmul && node.attr_int("transB", 0) != 0;
  PackedLinear p;
  p.type = gemm_type(node, b.dtype(), tf32);
  p.k = trans_b ? b.dims()[1] : b.dims()[0];
  p.n = trans_b ? b.dims()[0] : b.dims()[1];
  p.n_gemm = gemm_rows(p);
  p.k_padded = padded_k(p.k);
  const Value* bias = matmul ? nullptr : node.input(2);
  check_bias(node, bias, p.n);
  const float alpha = matmul ? 1.f : node.attr_float("alpha", 1.f);
  const float beta = matmul ? 1.f : node.attr_float("beta", 1.f);
  if ((alpha != 1.f || beta != 1.f) && p.type == GemmType::kS8) {
    unsupported(node, "runs int8 Gemm with alpha = beta = 1 only");
  }
  // Fold alpha / beta into the float operands.
  Tensor scaled_b = b;
  if (alpha != 1.f) {
    Tensor f = b.cast(DataType::kF32);
    for (int64_t i = 0; i < f.numel(); ++i) f.data<float>()[i] *= alpha;
    scaled_b = f.cast(b.dtype());
  }
  const int64_t n = p.n;
  auto packed = pack_rows(scaled_b, p.n, p.n_gemm, p.k, p.k_padded,
                          [&](int64_t o, int64_t j) { return trans_b ? o * p.k + j : j * n + o; });
  if (beta != 1.f && bias) {
    Value scaled = *bias;
    Tensor f = bias->constant->cast(DataType::kF32);
    for (int64_t i = 0; i < f.numel(); ++i) f.data<float>()[i] *= beta;
    scaled.constant = std::make_shared<const Tensor>(std::move(f));
    finish(p, node, &scaled, std::move(packed), node.input(1));
  } else {
    finish(p, node, bias, std::move(packed), node.input(1));
  }
  return p;
}

}  // namespace lowp::cuda
