// Shape inference for Conv (with the fused activation and residual input 3) and ConvTranspose.
#include <string>

#include "core/ops/nn_geometry.h"
#include "core/ops/nn_infer.h"
#include "core/ops/quant_infer.h"

namespace lowp::nn {
namespace {

// Checks kernel_shape (when given) against the weight's spatial dims and returns the latter.
Dims weight_kernel(const Node& node, const Dims& w) {
  Dims kernel(w.begin() + 2, w.end());
  if (node.has_attr("kernel_shape") && node.attr_ints("kernel_shape") != kernel) {
    throw_invalid(node, "kernel_shape " + dims_to_string(node.attr_ints("kernel_shape")) +
                            " does not match the weight dims " + dims_to_string(w));
  }
  return kernel;
}

void check_bias(const Node& node, const std::vector<TensorInfo>& in, int64_t channels) {
  if (!has(in, 2)) return;
  require_rank(node, in, 2, 1);
  if (in[2].dims[0] >= 0 && channels >= 0 && in[2].dims[0] != channels) {
    throw_invalid(node, "bias has " + std::to_string(in[2].dims[0]) + " values, expected " +
                            std::to_string(channels));
  }
  if (is_quantized_storage_type(in[0].dtype)) {
    require_quantized_operand(node, in, 2, true);
  } else if (in[2].dtype != in[0].dtype) {
    throw_invalid(node, "bias dtype differs from the input's");
  }
}

int64_t read_group(const Node& node) {
  const int64_t group = node.attr_int("group", 1);
  if (group <= 0) throw_invalid(node, "group must be positive");
  return group;
}

}  // namespace

std::vector<TensorInfo> infer_conv(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 3, true);
  require_rank(node, in, 1, in[0].dims.size());
  // Quantized Conv (int8 contract): s8/u8 input and weight, s32 bias, s8/u8 residual.
  const bool quantized = is_quantized_storage_type(in[0].dtype);
  if (quantized) {
    require_quantized_operand(node, in, 1, false);
  } else {
    require_float(node, in, 0);
    if (in[1].dtype != in[0].dtype) throw_invalid(node, "weight dtype differs from the input's");
  }
  const Dims& x = in[0].dims;
  const Dims& w = in[1].dims;
  const int64_t group = read_group(node);
  // In 128 bits: a plan's dims and a file's group may multiply past int64.
  if (x[1] >= 0 && static_cast<__int128>(w[1]) * group != x[1]) {
    throw_invalid(node, "input has " + std::to_string(x[1]) + " channels but weight " +
                            dims_to_string(w) + " with group " + std::to_string(group) +
                            " expects " + std::to_string(w[1]) + " x " + std::to_string(group));
  }
  if (w[0] % group != 0) throw_invalid(node, "output channels are not divisible by group");
  check_bias(node, in, w[0]);
  const SpatialGeometry g =
      window_geometry(node, Dims(x.begin() + 2, x.end()), weight_kernel(node, w), false);
  Dims out{x[0], w[0]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  if (has(in, 3)) {
    if (in[3].dims != out) {
      throw_invalid(node, "residual input dims " + dims_to_string(in[3].dims) +
                              " differ from the output dims " + dims_to_string(out));
    }
    if (quantized) {
      require_quantized_operand(node, in, 3, false);
    } else if (in[3].dtype != in[0].dtype) {
      throw_invalid(node, "residual dtype differs from the input's");
    }
  }
  return {output(quantized ? quantized_output_dtype(node, DataType::kU8) : in[0].dtype, out)};
}

std::vector<TensorInfo> infer_conv_transpose(const Node& node, const std::vector<TensorInfo>& in) {
  require_rank(node, in, 0, 3, true);
  require_rank(node, in, 1, in[0].dims.size());
  require_float(node, in, 0);
  if (in[1].dtype != in[0].dtype) throw_invalid(node, "weight dtype differs from the input's");
  const Dims& x = in[0].dims;
  const Dims& w = in[1].dims;
  const int64_t group = read_group(node);
  if (x[1] >= 0 && x[1] != w[0]) {
    throw_invalid(node, "input has " + std::to_string(x[1]) + " channels but weight " +
                            dims_to_string(w) + " expects " + std::to_string(w[0]));
  }
  if (w[0] % group != 0) throw_invalid(node, "input channels are not divisible by group");
  const int64_t channels = w[1] * group;
  check_bias(node, in, channels);
  const SpatialGeometry g =
      transposed_geometry(node, Dims(x.begin() + 2, x.end()), weight_kernel(node, w));
  Dims out{x[0], channels};
  out.insert(out.end(), g.out.begin(), g.out.end());
  return {output(in[0].dtype, out)};
}

}  // namespace lowp::nn
