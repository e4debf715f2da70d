// Lowering of an (optimised, precision-decided) graph into a CudaProgram for one set of input
// dims. Activations are NHWC on the device; graph inputs and outputs keep the graph's NCHW layout
// and are converted at the edges only. Convolutions run as implicit GEMM: an NHWC im2col (skipped
// for 1x1 stride-1 convolutions; in slices of whole images when the columns would pass
// LoweringOptions::im2col_slice_bytes) feeding a cuBLASLt GEMM on tensor cores, bias and ReLU in
// cuBLASLt's epilogue and the residual summand through beta * C; int8 convolutions with s8 outputs
// requantize in cuBLASLt's epilogue (per-channel scale vector, residual, ReLU by saturation) where
// it can express theirs, else accumulate in s32 and lowp's int8 epilogue kernel requantizes per
// channel with the residual and activation fused.
#pragma once

#include <cublasLt.h>
#include <cudnn.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_program.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/packed_weights.h"
#include "backends/cuda/tactic_store.h"
#include "lowp/graph.h"

namespace lowp::cuda {

// Device data of a compiled model, immutable after compile_for_cuda: packed weights per
// Conv / Gemm / MatMul and the other constants kernels read.
struct ModelResources {
  std::map<const Node*, PackedLinear> linear;
  std::map<const Value*, DeviceBuffer> constants;
};

struct LoweringOptions {
  cublasLtHandle_t lt = nullptr;   // for algorithm queries and timing
  cudnnHandle_t dnn = nullptr;     // null: no cuDNN convolutions
  TacticStore* tactics = nullptr;  // stored choices to reuse, and where new ones are recorded
  bool time_tactics = true;
  size_t workspace_limit = size_t{32} << 20;
  // A convolution whose im2col columns would take more runs in slices of whole images with one
  // columns buffer of at most this size (when the slices' outputs stay 16-byte aligned).
  size_t im2col_slice_bytes = size_t{32} << 20;
};

// Whether the CUDA backend runs `node` as it stands (its op and its fused forms).
bool supports_node(const Node& node);
// The op types in the CUDA backend's op table.
std::vector<std::string> cuda_op_types();

// Throws kUnsupported listing every node (name, op type) the CUDA backend cannot run.
void check_cuda_support(const Graph& graph);

// Packs weights and uploads the constants `graph` needs on the device.
ModelResources upload_resources(const Graph& graph, bool tf32);

// One line per node: how the CUDA backend runs it.
std::vector<std::string> describe_cuda_nodes(const Graph& graph);

std::unique_ptr<CudaProgram> lower_program(const Graph& graph, const std::vector<Dims>& input_dims,
                                           const ModelResources& resources,
                                           const LoweringOptions& options);

}  // namespace lowp::cuda
