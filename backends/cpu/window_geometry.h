// Window geometry shared by the convolution and pooling lowerings: ONNX strides, dilations and
// pads (auto_pad resolved from the inferred output dims) in oneDNN's terms.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::cpu {

struct WindowGeometry {
  dnnl::memory::dims strides;
  dnnl::memory::dims dilations;  // oneDNN convention: ONNX dilation - 1
  dnnl::memory::dims pad_begin;
  dnnl::memory::dims pad_end;
  bool pad_end_extended = false;  // pad_end grew beyond the ONNX pads (ceil_mode)
};

// For a 2-D window op: `in` / `out` are N,C,H,W dims, `kernel` the window's H,W.
// Returns nullopt when the attributes do not describe a window oneDNN can run.
std::optional<WindowGeometry> window_geometry(const Node& node, const Dims& in, const Dims& out,
                                              const std::vector<int64_t>& kernel);

}  // namespace lowp::cpu
