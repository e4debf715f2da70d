#include "backends/cuda/device_timing.h"

#include "backends/cuda/cuda_check.h"

namespace lowp::cuda {
namespace {

struct Event {  // destroyed on every path out
  cudaEvent_t e = nullptr;
  explicit Event(const std::string& what) { check_cuda(cudaEventCreate(&e), what); }
  ~Event() {
    if (e) cudaEventDestroy(e);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

}  // namespace

float time_on_device(const std::string& what, cudaStream_t stream,
                     const std::function<void(cudaStream_t)>& launch, bool warm_up, int repeats) {
  const Event start(what + ": cudaEventCreate"), stop(what + ": cudaEventCreate");
  if (warm_up) launch(stream);
  check_cuda(cudaEventRecord(start.e, stream), what + ": cudaEventRecord");
  for (int i = 0; i < repeats; ++i) launch(stream);
  check_cuda(cudaEventRecord(stop.e, stream), what + ": cudaEventRecord");
  check_cuda(cudaEventSynchronize(stop.e), what + ": timing");
  float ms = 0.f;
  check_cuda(cudaEventElapsedTime(&ms, start.e, stop.e), what + ": cudaEventElapsedTime");
  return ms / repeats;
}

}  // namespace lowp::cuda
