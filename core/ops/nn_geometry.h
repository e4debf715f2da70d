// Geometry shared by the nn op schemas and the kernels that implement them: conv / pool window
// placement (auto_pad, pads, strides, dilations, ceil_mode), ConvTranspose output placement,
// Resize per-axis scales and output dims, and Pad's per-axis begin / end amounts. Each function
// validates its attributes and throws lowp::Error naming the node.
#pragma once

#include <cstdint>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"
#include "core/ops/tensor_info_checks.h"  // normalize_axis

namespace lowp::nn {

// Window placement over the spatial dims (the dims after N and C).
struct SpatialGeometry {
  Dims kernel;  // per spatial dim
  Dims strides;
  Dims dilations;
  Dims pad_begin;
  Dims pad_end;
  Dims out;  // output spatial sizes
};

// Conv and pooling: `in_spatial` are the input's spatial sizes, `kernel` the window sizes. Reads
// strides, dilations, pads, auto_pad and (when `allow_ceil_mode`) ceil_mode.
SpatialGeometry window_geometry(const Node& node, const Dims& in_spatial, const Dims& kernel,
                                bool allow_ceil_mode);

// ConvTranspose: reads strides, dilations, pads, auto_pad, output_padding and output_shape.
// `out` holds the output's spatial sizes; pad_begin / pad_end the cropping of the full result.
SpatialGeometry transposed_geometry(const Node& node, const Dims& in_spatial, const Dims& kernel);

// Resize: one scale per input dim (as used by the coordinate transform), roi start / end per dim
// (normalised coordinates, [0,1] when absent) and the output dims.
struct ResizeGeometry {
  std::vector<float> scales;
  std::vector<float> roi_start;
  std::vector<float> roi_end;
  Dims out;
};
// roi / scales / sizes may be null (absent or empty tensors count as absent).
ResizeGeometry resize_geometry(const Node& node, const Dims& in, const Tensor* roi,
                               const Tensor* scales, const Tensor* sizes);

// Pad: begin / end amounts per input dim (negative crops), from the pads and axes inputs.
struct PadAmounts {
  Dims begin;
  Dims end;
};
PadAmounts pad_amounts(const Node& node, const Dims& in, const Tensor& pads, const Tensor* axes);

}  // namespace lowp::nn
