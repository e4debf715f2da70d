// The math op group's kernels: Sqrt, Erf, Pow, Mod, Equal, Not, Where (numpy broadcasting) and
// ReduceMean. Floats compute in f32 (Pow in f64), integers exactly in int64.
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/ops/broadcast.h"
#include "lowp/error.h"
#include "reference/float_io.h"
#include "reference/kernel_args.h"
#include "reference/kernel_groups.h"
#include "reference/strided_loop.h"

namespace lowp::reference {
namespace {

bool is_float(DataType t) {
  return t == DataType::kF32 || t == DataType::kF16 || t == DataType::kBF16;
}

// Integer and bool values as int64 (exact), or floats as f32.
std::vector<int64_t> load_ints(const Tensor& t) { return t.to_int64(); }

void store_ints(const std::vector<int64_t>& v, Tensor& out) {
  for (size_t i = 0; i < v.size(); ++i) {
    switch (out.dtype()) {
      case DataType::kS8:
        out.data<int8_t>()[i] = static_cast<int8_t>(v[i]);
        break;
      case DataType::kU8:
        out.data<uint8_t>()[i] = static_cast<uint8_t>(v[i]);
        break;
      case DataType::kS32:
        out.data<int32_t>()[i] = static_cast<int32_t>(v[i]);
        break;
      case DataType::kS64:
        out.data<int64_t>()[i] = v[i];
        break;
      case DataType::kBool:
        out.data<uint8_t>()[i] = v[i] != 0;
        break;
      default:
        throw_error(ErrorCode::kUnsupported,
                    std::string("no kernel writes ") + name_of(out.dtype()) + " integers");
    }
  }
}

// fn(i, offsets) for every output element, offsets into each input (broadcast).
template <typename Fn>
void broadcast_loop(const KernelInputs& in, const Tensor& out, Fn&& fn) {
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor* t : in) strides.push_back(broadcast_strides(t->dims(), out.dims()));
  for_each_strided(out.dims(), strides, fn);
}

template <typename Fn>
void map_floats(const Node& node, const KernelInputs& in, const KernelOutputs& out, Fn&& fn) {
  if (!is_float(in[0]->dtype())) {
    throw_error(ErrorCode::kUnsupported,
                node.describe() + ": no kernel for dtype " + name_of(in[0]->dtype()));
  }
  std::vector<float> v = load_floats(*in[0]);
  for (float& x : v) x = fn(x);
  store_floats(v, *out[0]);
}

void sqrt_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  map_floats(node, in, out, [](float x) { return std::sqrt(x); });
}

void erf_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  map_floats(node, in, out, [](float x) { return std::erf(x); });
}

void exp_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  map_floats(node, in, out, [](float x) { return std::exp(x); });
}

// 0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), in double.
void gelu_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  if (node.attr_string("approximate", "none") == "tanh") {
    map_floats(node, in, out, [](float x) {
      const double v = x;
      const double inner = std::sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v);
      return static_cast<float>(0.5 * v * (1.0 + std::tanh(inner)));
    });
  } else {
    map_floats(node, in, out, [](float x) {
      const double v = x;
      return static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
    });
  }
}

// The output has the base's dtype; an integer result is truncated toward zero (0 to a negative
// power, infinite, saturates).
void pow_kernel(const Node&, const KernelInputs& in, const KernelOutputs& out) {
  const std::vector<float> base = in[0]->to_float();
  const std::vector<float> exponent = in[1]->to_float();
  std::vector<double> v(static_cast<size_t>(out[0]->numel()));
  if (!is_float(in[0]->dtype())) {  // exact integer bases
    const std::vector<int64_t> ib = load_ints(*in[0]);
    broadcast_loop(in, *out[0], [&](int64_t i, const int64_t* o) {
      v[i] = std::pow(static_cast<double>(ib[o[0]]), static_cast<double>(exponent[o[1]]));
    });
    std::vector<int64_t> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = saturating_int64(v[i]);
    return store_ints(r, *out[0]);
  }
  broadcast_loop(in, *out[0], [&](int64_t i, const int64_t* o) {
    v[i] = std::pow(static_cast<double>(base[o[0]]), static_cast<double>(exponent[o[1]]));
  });
  store_floats(std::vector<float>(v.begin(), v.end()), *out[0]);
}

// fmod=1: the sign of the dividend (C's fmod); fmod=0 (integers only): the divisor's (Python).
void mod_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const bool fmod = node.attr_int("fmod", 0) != 0;
  if (is_float(in[0]->dtype())) {
    const std::vector<float> a = load_floats(*in[0]), b = load_floats(*in[1]);
    std::vector<float> r(static_cast<size_t>(out[0]->numel()));
    broadcast_loop(in, *out[0],
                   [&](int64_t i, const int64_t* o) { r[i] = std::fmod(a[o[0]], b[o[1]]); });
    return store_floats(r, *out[0]);
  }
  const std::vector<int64_t> a = load_ints(*in[0]), b = load_ints(*in[1]);
  std::vector<int64_t> r(static_cast<size_t>(out[0]->numel()));
  broadcast_loop(in, *out[0], [&](int64_t i, const int64_t* o) {
    const int64_t x = a[o[0]], y = b[o[1]];
    if (y == 0) throw_error(ErrorCode::kInvalidArgument, node.describe() + ": Mod by zero");
    if (y == -1) return void(r[i] = 0);  // (lowest % -1 would trap)
    int64_t m = x % y;
    if (!fmod && m != 0 && ((m < 0) != (y < 0))) m += y;
    r[i] = m;
  });
  store_ints(r, *out[0]);
}

void equal_kernel(const Node&, const KernelInputs& in, const KernelOutputs& out) {
  std::vector<int64_t> r(static_cast<size_t>(out[0]->numel()));
  if (is_float(in[0]->dtype())) {
    const std::vector<float> a = load_floats(*in[0]), b = load_floats(*in[1]);
    broadcast_loop(in, *out[0], [&](int64_t i, const int64_t* o) { r[i] = a[o[0]] == b[o[1]]; });
  } else {
    const std::vector<int64_t> a = load_ints(*in[0]), b = load_ints(*in[1]);
    broadcast_loop(in, *out[0], [&](int64_t i, const int64_t* o) { r[i] = a[o[0]] == b[o[1]]; });
  }
  store_ints(r, *out[0]);
}

void not_kernel(const Node&, const KernelInputs& in, const KernelOutputs& out) {
  const uint8_t* x = in[0]->data<uint8_t>();
  uint8_t* y = out[0]->data<uint8_t>();
  for (int64_t i = 0; i < in[0]->numel(); ++i) y[i] = x[i] == 0;
}

// Element bytes copied as they are: exact for every dtype.
void where_kernel(const Node&, const KernelInputs& in, const KernelOutputs& out) {
  const size_t size = size_of(out[0]->dtype());
  const auto* cond = in[0]->data<uint8_t>();
  const auto* x = static_cast<const char*>(in[1]->raw());
  const auto* y = static_cast<const char*>(in[2]->raw());
  auto* dst = static_cast<char*>(out[0]->raw());
  broadcast_loop(in, *out[0], [&](int64_t i, const int64_t* o) {
    const char* src = cond[o[0]] ? x + o[1] * size : y + o[2] * size;
    std::copy(src, src + size, dst + i * size);
  });
}

// The mean over the reduced axes (those of size 1 in `out` that the schema reduced), summed in
// f64. The output's dims (keepdims or not) hold the kept axes in order.
// The reductions sum f(x) in double over the reduced axes, then finish: Mean divides by the count,
// L2 takes the square root; f is x (Mean, Sum), |x| (L1) or x^2 (L2, SumSquare).
void reduce_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& x = *in[0];
  const auto rank = static_cast<int64_t>(x.dims().size());
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  const bool given = in.size() > 1 && in[1] && in[1]->numel() > 0;
  if (given) {
    for (int64_t a : in[1]->to_int64()) reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  } else if (node.attr_int("noop_with_empty_axes", 0) == 0) {
    reduced.assign(reduced.size(), true);
  }
  // Strides of x's element into the output (0 along reduced axes).
  Dims kept(static_cast<size_t>(rank), 1);
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[static_cast<size_t>(d)]) kept[static_cast<size_t>(d)] = x.dims()[d];
  }
  const std::vector<int64_t> to_out = broadcast_strides(kept, x.dims());
  const std::string& op = node.op_type;
  const bool squares = op == "ReduceL2" || op == "ReduceSumSquare";
  const bool absolute = op == "ReduceL1";
  const std::vector<float> v = load_floats(x);
  std::vector<double> sum(static_cast<size_t>(out[0]->numel()), 0.0);
  for_each_strided(x.dims(), {row_major_strides(x.dims()), to_out}, [&](int64_t, const int64_t* o) {
    const double e = v[o[0]];
    sum[o[1]] += squares ? e * e : absolute ? std::fabs(e) : e;
  });
  const double count =
      sum.empty() ? 1.0 : static_cast<double>(x.numel()) / static_cast<double>(sum.size());
  std::vector<float> result(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    const double r = op == "ReduceMean" ? sum[i] / count
                     : op == "ReduceL2" ? std::sqrt(sum[i])
                                        : sum[i];
    result[i] = static_cast<float>(r);
  }
  store_floats(result, *out[0]);
}

}  // namespace

void append_math_kernels(KernelTable& out) {
  out["Sqrt"] = sqrt_kernel;
  out["Erf"] = erf_kernel;
  out["Exp"] = exp_kernel;
  out["Gelu"] = gelu_kernel;
  out["Pow"] = pow_kernel;
  out["Mod"] = mod_kernel;
  out["Equal"] = equal_kernel;
  out["Not"] = not_kernel;
  out["Where"] = where_kernel;
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceL1", "ReduceL2", "ReduceSumSquare"}) {
    out[op] = reduce_kernel;
  }
}

}  // namespace lowp::reference
