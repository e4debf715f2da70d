// CudaProgram: the CUDA backend's lowering of a graph for one set of concrete input dims.
// Immutable once built and shared by every context: each tensor lives in a slot (a place in the
// context's activation arena, a graph input / output buffer or a device constant), and the steps
// launch kernels / cuBLASLt GEMMs in order on the context's stream. Nothing in a step allocates or
// synchronises, so a context captures the whole program as one CUDA graph and replays it.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/device_memory.h"
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

struct Step {
  std::string what;  // "node 'conv1' (Conv): im2col 7x7" — names the kernel in errors
  std::function<void(const LaunchArgs&)> launch;
};

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
