// Timing work on the device with CUDA events: how LtGemm picks among cuBLASLt's algorithms and
// the lowering picks cuDNN or im2col + cuBLASLt for a convolution (tactic selection).
#pragma once

#include <cuda_runtime.h>

#include <functional>
#include <string>

namespace lowp::cuda {

// Mean device time in ms of `launch(stream)` over `repeats` runs on `stream`, after one warm-up
// run (the first launch pays for lazy library initialisation) unless the caller did one. Errors
// name `what`.
float time_on_device(const std::string& what, cudaStream_t stream,
                     const std::function<void(cudaStream_t)>& launch, bool warm_up = true,
                     int repeats = 5);

}  // namespace lowp::cuda
