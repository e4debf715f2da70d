#include "backends/cuda/device_scope.h"

#include <cuda.h>  // driver types only: the driver functions are reached through the runtime
#include <cuda_runtime.h>

#include <string>

#include "backends/cuda/cuda_check.h"

namespace lowp::cuda {
namespace {

using GetCurrent = CUresult (*)(CUcontext*);
using SetCurrent = CUresult (*)(CUcontext);

// The driver's cuCtxGetCurrent / cuCtxSetCurrent as the runtime hands them out (lowp does not
// link the driver library, so that it loads on machines without one); null when unavailable.
struct ContextFunctions {
  GetCurrent get = nullptr;
  SetCurrent set = nullptr;
};

const ContextFunctions& context_functions() {
  static const ContextFunctions functions = [] {
    ContextFunctions f;
    void* get = nullptr;
    void* set = nullptr;
    cudaDriverEntryPointQueryResult found_get{}, found_set{};
    if (cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &get, 12000, cudaEnableDefault,
                                         &found_get) == cudaSuccess &&
        cudaGetDriverEntryPointByVersion("cuCtxSetCurrent", &set, 12000, cudaEnableDefault,
                                         &found_set) == cudaSuccess &&
        found_get == cudaDriverEntryPointSuccess && found_set == cudaDriverEntryPointSuccess) {
      f.get = reinterpret_cast<GetCurrent>(get);
      f.set = reinterpret_cast<SetCurrent>(set);
    }
    (void)cudaGetLastError();  // a failed lookup is not the application's error
    return f;
  }();
  return functions;
}

// Whether the calling thread has no CUDA context current (false when that cannot be known).
bool no_context_current() {
  const ContextFunctions& f = context_functions();
  if (!f.get) return false;
  CUcontext context = nullptr;
  return f.get(&context) == CUDA_SUCCESS && context == nullptr;
}

}  // namespace

DeviceScope::DeviceScope(int device) {
  int current = -1;
  check_cuda(cudaGetDevice(&current), "cudaGetDevice");
  if (current == device) return;
  // A thread without a context reports device 0; making device 0 current again would create a
  // context there, so such a thread gets "no context" back instead.
  const bool none = no_context_current();
  check_cuda(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
  restore_ = none ? Restore::kNoContext : Restore::kDevice;
  previous_ = current;
}

DeviceScope::~DeviceScope() {
  switch (restore_) {
    case Restore::kNothing:
      return;
    case Restore::kDevice:
      cudaSetDevice(previous_);
      return;
    case Restore::kNoContext:
      context_functions().set(nullptr);
      return;
  }
}

}  // namespace lowp::cuda
