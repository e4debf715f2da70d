// Pad in constant, reflect, edge and wrap modes, for any dtype (elements are copied as bytes).
// Negative pads crop first; the modes then pad the cropped data (as ONNX's reference does).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "reference/nn_kernel_list.h"

namespace lowp::reference {
namespace {

int64_t positive_mod(int64_t a, int64_t b) { return ((a % b) + b) % b; }

// For each output coordinate along one axis: the source coordinate, or -1 for the constant.
std::vector<int64_t> map_axis(const std::string& mode, int64_t in_len, int64_t begin, int64_t end,
                              int64_t out_len) {
  const int64_t crop_begin = std::max<int64_t>(-begin, 0);
  const int64_t len = in_len - crop_begin - std::max<int64_t>(-end, 0);
  const int64_t lead = std::max<int64_t>(begin, 0);
  std::vector<int64_t> src(static_cast<size_t>(out_len));
  for (int64_t o = 0; o < out_len; ++o) {
    int64_t c = o - lead;
    if (c < 0 || c >= len) {
      if (mode == "constant" || len <= 0) {
        c = -1;
      } else if (mode == "edge") {
        c = std::min(std::max<int64_t>(c, 0), len - 1);
      } else if (mode == "wrap") {
        c = positive_mod(c, len);
      } else if (len == 1) {  // reflect
        c = 0;
      } else {
        const int64_t period = 2 * (len - 1);
        c = positive_mod(c, period);
        if (c >= len) c = period - c;
      }
    }
    src[static_cast<size_t>(o)] = c < 0 ? -1 : c + crop_begin;
  }
  return src;
}

// Copies every output element from its mapped source (or `fill` where an axis maps to -1).
void copy_mapped(const Tensor& x, const std::vector<std::vector<int64_t>>& maps,
                 const Dims& in_strides, const Tensor& fill, Tensor* y) {
  const size_t rank = maps.size();
  const int64_t elem = static_cast<int64_t>(size_of(x.dtype()));
  const char* src = static_cast<const char*>(x.raw());
  char* dst = static_cast<char*>(y->raw());
  std::vector<size_t> index(rank, 0);
  const int64_t total = y->numel();
  for (int64_t o = 0; o < total; ++o) {
    int64_t off = 0;
    bool constant = false;
    for (size_t a = 0; a < rank; ++a) {
      const int64_t s = maps[a][index[a]];
      constant = constant || s < 0;
      off += s * in_strides[a];
    }
    const char* from = constant ? static_cast<const char*>(fill.raw()) : src + off * elem;
    std::memcpy(dst + o * elem, from, static_cast<size_t>(elem));
    for (size_t a = rank; a-- > 0;) {
      if (++index[a] < maps[a].size()) break;
      index[a] = 0;
    }
  }
}

}  // namespace

void pad_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                const std::vector<Tensor*>& outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  auto opt = [&](size_t i) { return i < inputs.size() ? inputs[i] : nullptr; };
  const nn::PadAmounts amounts = nn::pad_amounts(node, x.dims(), *inputs[1], opt(3));
  const std::string mode = node.attr_string("mode", "constant");
  const size_t rank = x.dims().size();

  Tensor fill(x.dtype(), {1});
  if (opt(2) && opt(2)->numel() > 0) fill = opt(2)->cast(x.dtype()).reshaped({1});

  std::vector<std::vector<int64_t>> maps;
  Dims in_strides(rank, 1);
  for (size_t a = rank; a-- > 0;) {
    if (a + 1 < rank) in_strides[a] = in_strides[a + 1] * x.dims()[a + 1];
  }
  for (size_t a = 0; a < rank; ++a) {
    maps.push_back(map_axis(mode, x.dims()[a], amounts.begin[a], amounts.end[a], y.dims()[a]));
  }
  copy_mapped(x, maps, in_strides, fill, &y);
}

}  // namespace lowp::reference
