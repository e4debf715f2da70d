// Entry points of the CUDA backend (backend.h, lowp.h): device discovery and compile_for_cuda.
#include <cuda_runtime.h>

#include "backends/cuda/cuda_compiled_model.h"
#include "backends/cuda/program_lowering.h"
#include "lowp/backend.h"
#include "lowp/error.h"

namespace lowp {

bool has_cuda_backend() { return true; }

int cuda_device_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

std::string cuda_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    return std::string("no usable CUDA device: ") + cudaGetErrorName(status) + " (" +
           cudaGetErrorString(status) + ")";
  }
  return count == 0 ? "no CUDA device present" : "";
}

bool cuda_supports(const Node& node) { return cuda::supports_node(node); }

int current_cuda_device() {
  int device = -1;
  return cuda_device_count() > 0 && cudaGetDevice(&device) == cudaSuccess ? device : -1;
}

std::unique_ptr<CompiledModel> compile_for_cuda(std::shared_ptr<const Graph> graph,
                                                const CompileOptions& options,
                                                const TacticMap& tactics) {
  if (cuda_device_count() == 0) {
    throw_error(ErrorCode::kUnsupported,
                "cannot compile '" + graph->name + "' for CUDA: " + cuda_unavailable_reason());
  }
  return std::make_unique<cuda::CudaCompiledModel>(std::move(graph), options, tactics);
}

}  // namespace lowp
