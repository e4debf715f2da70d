// CudaProgram: the CUDA backend's lowering of a graph for one set of concrete input dims.
// Immutable once built and shared by every context: each tensor lives in a slot (a place in the
// context's activation arena, a graph input / output buffer or a device constant), and the steps
// (data: kind, parameters, slots) launch kernels / cuBLASLt GEMMs / cuDNN convolutions in order
// on the context's stream. Nothing in a step allocates or
// synchronises, so a context captures the whole program as one CUDA graph and replays it.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "backends/cuda/cudnn_conv.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/lt_gemm.h"

namespace lowp::cuda {

enum class SlotKind { kArena, kInput, kOutput, kConstant };

struct DeviceSlot {
  SlotKind kind = SlotKind::kArena;
  size_t bytes = 0;
  size_t offset = 0;               // kArena: byte offset in the arena
  int index = -1;                  // kInput / kOutput: graph input / output index
  const void* constant = nullptr;  // kConstant: device pointer owned by the compiled model
  int first_step = -1;             // liveness, in step indices
  int last_step = -1;
};

// What a step needs at launch time: every slot's device address (resolved once per run), the
// stream, the context's cuBLASLt handle and workspace.
struct LaunchArgs {
  std::vector<void*> slots;
  cudaStream_t stream = nullptr;
  cublasLtHandle_t lt = nullptr;
  cudnnHandle_t dnn = nullptr;  // bound to `stream`
  void* workspace = nullptr;
};

// Where a step reads or writes: a slot and a byte offset in it (slices of a batch).
struct SlotRef {
  int slot = -1;  // -1: none
  size_t offset = 0;
  bool present() const { return slot >= 0; }
};

// The parameters of each kind of step (the kernels' arguments, kernels.h, without pointers:
// those come from the step's slots at launch).
struct CopyStep {  // src -> dst, `bytes` (to a graph output)
  size_t bytes = 0;
};
struct LayoutStep {  // src NCHW -> dst NHWC (to_nhwc), or back
  bool to_nhwc = true;
  DType type = DType::kF32;
  int n = 0, c = 0, h = 0, w = 0;
};
struct Im2colStep {  // src NHWC input -> dst columns
  DType type = DType::kF32;
  ConvGeometry geometry{};
  int k_padded = 0;
  int pad_value = 0;
};
struct GemmStep {  // dst = gemm(weights, src) (+ aux as C: the residual)
  const LtGemm* gemm = nullptr;
  const void* weights = nullptr;
};
struct CudnnConvStep {  // dst = conv(src, weights) (+ aux: the residual)
  std::shared_ptr<const CudnnConv> conv;
  const void* weights = nullptr;
};
struct BiasResidualActStep {  // in place on dst (+ aux: the residual)
  DType type = DType::kF32;
  const float* bias = nullptr;  // device, per channel; may be null
  int64_t rows = 0;
  int channels = 0;
  Activation act;
};
struct Int8EpilogueStep {  // src s32 accumulators -> dst (+ aux: the s8 residual)
  Int8Epilogue epilogue;   // residual pointer set at launch from aux
  int64_t rows = 0;
  int channels = 0;
};
struct MaxPoolStep {  // src -> dst, NHWC
  DType type = DType::kF32;
  PoolGeometry geometry{};
};
struct AvgPoolStep {  // src -> dst, NHWC
  DType type = DType::kF32;
  PoolGeometry geometry{};
  bool count_include_pad = false;
  QuantS8 in_q, out_q;
};
struct GlobalAvgPoolStep {  // src [n, hw, c] -> dst [n, c]
  DType type = DType::kF32;
  int n = 0, hw = 0, c = 0;
  QuantS8 in_q, out_q;
};
struct ActivationStep {  // src -> dst
  DType type = DType::kF32;
  int64_t count = 0;
  Activation act;
};
struct AddStep {  // dst = act(src + aux)
  DType type = DType::kF32;
  int64_t count = 0;
  QuantS8 a_q, b_q, out_q;
  Activation act;
};
struct SoftmaxStep {  // src -> dst, f32, over the last dim
  int rows = 0, cols = 0;
};
struct QuantizeStep {  // quantize: src float -> dst s8; else dst float <- src s8
  bool quantize = true;
  DType float_type = DType::kF32;
  QuantS8 q;
  int64_t count = 0;
};
struct ConvertStep {  // src -> dst, f32 <-> f16
  DType from = DType::kF32, to = DType::kF16;
  int64_t count = 0;
};

using StepParams =
    std::variant<CopyStep, LayoutStep, Im2colStep, GemmStep, CudnnConvStep, BiasResidualActStep,
                 Int8EpilogueStep, MaxPoolStep, AvgPoolStep, GlobalAvgPoolStep, ActivationStep,
                 AddStep, SoftmaxStep, QuantizeStep, ConvertStep>;

// One launch on the context's stream, as data: its kind and parameters, and the slots it reads
// (src, aux) and writes (dst).
struct Step {
  std::string what;  // "node 'conv1' (Conv): im2col 7x7" — names the kernel in errors
  StepParams params;
  SlotRef src, aux, dst;
};

// Launches `step` on args.stream (cuda_step_launch.cc).
void launch_step(const Step& step, const LaunchArgs& args);

struct CudaProgram {
  std::vector<DeviceSlot> slots;
  std::vector<Step> steps;
  size_t arena_bytes = 0;
  size_t workspace_bytes = 0;                  // largest cuBLASLt workspace a GEMM asked for
  std::vector<size_t> input_bytes;             // per graph input
  std::vector<size_t> output_bytes;            // per graph output
  std::vector<std::unique_ptr<LtGemm>> gemms;  // configured GEMMs the steps reference
  std::vector<DeviceBuffer>
      buffers;  // device data of this lowering's steps (requantization vectors)
};

}  // namespace lowp::cuda
