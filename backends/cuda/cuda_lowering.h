// The CUDA lowering's internals, shared by its files: program_lowering.cc (the op table, slots and
// layouts, the program's edges), lower_linear.cc (Conv / Gemm / MatMul: im2col + cuBLASLt or
// cuDNN) and lower_kernels.cc (the ops that are one lowp kernel each). Private to backends/cuda.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/cuda_program.h"
#include "backends/cuda/program_lowering.h"
#include "core/ops/nn_geometry.h"
#include "lowp/shape_propagation.h"

namespace lowp::cuda {

[[noreturn]] void unsupported(const Node& node, const std::string& why);
// The kernels' element type for a graph dtype (u8 is stored as s8, kernels.h).
DType device_type(const Node& node, DataType t);
// Per-tensor params of an int8 value as the kernels see them.
QuantS8 value_quant(const Node& node, const Value* v);
// The params of a quantized tensor: its QuantParams, else QuantizeLinear / DequantizeLinear's
// scale and zero-point inputs (from input `scale_input`).
QuantS8 tensor_quant(const Node& node, const Value& v, size_t scale_input);
// An activation as the kernels and epilogues take it (unsupported beyond Relu, Clip, LeakyRelu;
// `node` names the error).
Activation kernel_activation(const Node& node, const FusedActivation& activation);
// The node's fused activation as the epilogues take it.
inline Activation fused_activation(const Node& node) {
  return kernel_activation(node, node.activation);
}

// The kernels' window geometry (ConvGeometry or PoolGeometry, kernels.h: the same fields) of an
// NCHW input `x` with `kernel` and the node's strides, pads and dilations `sg`.
template <class Geometry>
Geometry window_geometry_nhwc(const Dims& x, const Dims& kernel, const nn::SpatialGeometry& sg) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  return {i(x[0]),
          i(x[2]),
          i(x[3]),
          i(x[1]),
          i(sg.out[0]),
          i(sg.out[1]),
          i(kernel[0]),
          i(kernel[1]),
          i(sg.strides[0]),
          i(sg.strides[1]),
          i(sg.pad_begin[0]),
          i(sg.pad_begin[1]),
          i(sg.dilations[0]),
          i(sg.dilations[1])};
}

enum class Layout { kPlain, kNhwc };

struct DeviceValue {
  int slot = -1;
  Layout layout = Layout::kPlain;
  Dims dims;  // logical (ONNX, NCHW) dims
  DataType dtype = DataType::kUndefined;
};

class Lowering {
 public:
  Lowering(const Graph& graph, const std::vector<Dims>& input_dims, const ModelResources& resources,
           const LoweringOptions& options)
      : graph_(graph),
        input_dims_(input_dims),
        res_(resources),
        opt_(options),
        program_(std::make_unique<CudaProgram>()) {}

  std::unique_ptr<CudaProgram> build();

  // One per op family (the op table in program_lowering.cc points at these).
  void lower_conv(const Node& n);
  void lower_gemm(const Node& n);
  void lower_pool(const Node& n);
  void lower_global_pool(const Node& n);
  void lower_activation(const Node& n);
  void lower_add(const Node& n);
  void lower_view(const Node& n);
  void lower_softmax(const Node& n);
  void lower_quantize(const Node& n);
  void lower_dequantize(const Node& n);
  void lower_cast(const Node& n);

 private:
  // ---- program building (program_lowering.cc) ----
  int add_slot(SlotKind kind, size_t bytes, int index = -1, const void* constant = nullptr);
  // Appends a step; its slots' liveness grows to cover it.
  void add_step(std::string what, StepParams params, SlotRef src, SlotRef aux, SlotRef dst);
  size_t bytes_of(const Value* v) const;
  const DeviceValue& value(const Node& n, const Value* v);
  // Slot holding v in `want` layout (adds a conversion step once when needed).
  int slot_in(const Node& n, const Value* v, Layout want);
  int define(const Value* v, Layout layout);
  void alias(const Value* v, int slot, Layout layout);
  LtGemm* make_gemm(const GemmConfig& config, const std::string& what);
  bool is_used(const Value* v) const;
  void lower(const Node& n);
  void copy_to_output(size_t j);

  // ---- Conv / Gemm / MatMul (lower_linear.cc) ----
  struct Linear;  // one node's geometry, slots and GEMM choice
  void lower_linear(const Node& n, bool conv);
  void linear_geometry(const Node& n, Linear& l);
  void linear_slices(const Node& n, Linear& l);
  void choose_gemm(const Node& n, Linear& l);
  void emit_linear_slice(const Node& n, Linear& l, int64_t first);
  LtGemm* gemm_for(const Node& n, Linear& l, int64_t rows);  // one per distinct slice size
  struct RequantizingGemm {
    GemmConfig config;         // m to be set
    DeviceBuffer scale, bias;  // the per-channel vectors config points at
  };
  std::optional<RequantizingGemm> requantizing_gemm(const Node& n, const PackedLinear& w,
                                                    QuantS8 xq, Activation act,
                                                    const Value* residual);
  bool lower_with_cudnn(const Node& n, const Linear& l);
  std::shared_ptr<const CudnnConv> choose_cudnn(const Node& n, const Linear& l,
                                                std::string& timing);
  bool cudnn_faster(const Node& n, const Linear& l, const CudnnConv& dnn, std::string& timing);

  const Graph& graph_;
  const std::vector<Dims>& input_dims_;
  const ModelResources& res_;
  const LoweringOptions& opt_;
  std::unique_ptr<CudaProgram> program_;
  std::map<const Value*, TensorInfo> info_;
  std::map<const Value*, DeviceValue> values_;
  std::map<std::pair<const Value*, Layout>, int> converted_;
};

}  // namespace lowp::cuda
