// Host emulation of a CUDA device for the CUDA backend's host code (see cuda_emulated_backend_test
// for what it checks). This header is what the emulated kernels, cuBLASLt and cuDNN build on:
//  - Streams: enqueue() runs work on a stream. Outside stream capture it runs at once (the
//    emulated device is synchronous); while the stream is being captured into a CUDA graph the
//    work is recorded instead, and cudaGraphLaunch replays the records. So a result that is only
//    right when the work ran eagerly (host-side work the capture cannot see, a pointer that went
//    stale since the capture) shows up as a wrong result or a violation.
//  - Device memory: cudaMalloc hands out addresses in a reserved, inaccessible range; the host
//    storage behind them is reached only through device_span(), which checks that the whole range
//    lies in one live allocation. A host dereference of a device pointer faults; a kernel given a
//    host pointer, a freed buffer or a range past an allocation's end is a violation.
//  - Violations (what would be an illegal address or a misuse on a GPU) are recorded with a
//    message, and make the next synchronisation fail with cudaErrorIllegalAddress (sticky, as on
//    a GPU) until reset() is called.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace lowp::cuda_emulation {

// Runs `work` on `stream` (executes now, or records it while the stream is capturing). `node` names
// the operation ("kernel im2col_nhwc", "memcpy HtoD", "cublasLtMatmul algo 3"): a graph update
// fails when a node's name changes, like a kernel node whose function changed. `cost_ms` advances
// the stream's emulated clock (what cudaEventElapsedTime measures). Returns the error the
// enqueueing call reports (e.g. using the legacy stream while another stream captures); the error
// is also made the thread's last error.
cudaError_t enqueue(cudaStream_t stream, const std::string& node, std::function<void()> work,
                    double cost_ms = 0.001);

// Thrown by device_span() (inside enqueued work) when a range is not valid device memory: the
// enqueue machinery records the violation and stops that piece of work.
struct DeviceFault {
  std::string message;
};

// Host storage behind [p, p + bytes) of emulated device memory; throws DeviceFault when the range
// is not inside one live cudaMalloc allocation. `what` names the access in the message.
void* device_span(const void* p, size_t bytes, const std::string& what);
const void* device_span_const(const void* p, size_t bytes, const std::string& what);

enum class Memory { kUnknown, kDevice, kPinnedHost };
// What `p` points into: a live cudaMalloc / cudaMallocHost allocation or neither (pageable host
// memory, or something freed).
Memory memory_of(const void* p);

// Records a violation (message printed to stderr) and makes synchronisations fail until reset().
void record_violation(const std::string& message);
// Sets the error the next cudaGetLastError returns (a failed launch).
void set_last_error(cudaError_t error);

struct Counters {
  int64_t live_device_allocations = 0;
  int64_t live_pinned_allocations = 0;
  int64_t live_streams = 0;
  int64_t live_events = 0;
  int64_t live_graphs = 0;
  int64_t live_graph_execs = 0;
  int64_t live_lt_handles = 0;
  int64_t live_lt_objects = 0;  // matmul descriptors, matrix layouts and preferences
  int64_t eager_work = 0;       // pieces of work executed at once (not through a graph)
  int64_t captured_work = 0;    // pieces of work recorded into graphs
  int64_t graph_work = 0;       // pieces of work executed by graph launches
  int64_t graph_launches = 0;
  int64_t graph_instantiations = 0;
  int64_t graph_updates = 0;          // successful cudaGraphExecUpdate
  int64_t graph_update_failures = 0;  // updates refused (topology or node changed)
  int64_t matmuls = 0;                // cublasLtMatmul executions
  int64_t live_dnn_handles = 0;
  int64_t live_dnn_objects = 0;    // cuDNN tensor, filter, convolution and activation descriptors
  int64_t dnn_convolutions = 0;    // cudnnConvolutionBiasActivationForward executions
  int64_t algorithm_searches = 0;  // cublasLtMatmulAlgoGetHeuristic + cudnnFind... calls
};
Counters counters();

// Violations recorded since the last reset(); reset() also clears the sticky error.
std::vector<std::string> violations();
void reset();

// Adds `delta` to one of the counters (the fake libraries' accounting: live handles and objects,
// matmuls, convolutions, algorithm searches).
void add_to_counter(int64_t Counters::*counter, int64_t delta = 1);

// x rounded to TF32 (10-bit mantissa, round to nearest, ties away), as tensor cores read f32
// operands with TF32 allowed: the emulated cuBLASLt and cuDNN round alike.
inline float round_to_tf32(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7f800000u) != 0x7f800000u) bits = (bits + 0x1000u) & 0xffffe000u;
  std::memcpy(&x, &bits, 4);
  return x;
}

// Marks the capture `stream` is in (if any) as invalidated, as a failed launch into it does.
void invalidate_capture(cudaStream_t stream);

// In scope while an emulated library (cuBLASLt, cuDNN) runs: runtime errors it meets do not become
// the application's last error (the real libraries do not share the application's cudart).
class LibraryCall {
 public:
  LibraryCall();
  ~LibraryCall();
  LibraryCall(const LibraryCall&) = delete;
  LibraryCall& operator=(const LibraryCall&) = delete;

 private:
  cudaError_t saved_;
};

// Fault injection, to run the backend's error paths: after `skip` more calls of the kind, the next
// one fails (kDeviceMalloc: cudaMalloc returns cudaErrorMemoryAllocation; kMatmul:
// cublasLtMatmul returns CUBLAS_STATUS_EXECUTION_FAILED; kKernelLaunch: a kernel launch fails
// with cudaErrorLaunchOutOfResources), once. clear_faults() disarms them all.
enum class Fault { kDeviceMalloc, kMatmul, kKernelLaunch };
void inject_fault(Fault fault, int skip);
void clear_faults();
bool take_fault(Fault fault);  // for the fakes: true when this call must fail

// The emulated cuDNN's cost relative to the emulated cuBLASLt (what a convolution adds to its
// stream's clock, which the lowering's tactic timing compares): 0.5 (the default) makes cuDNN win
// wherever it is eligible, 3 makes im2col + cuBLASLt win; 0 makes cudnnCreate fail (no cuDNN).
void set_cudnn_speed(double relative_cost);
double cudnn_speed();

// Emulated devices (1 by default; all alike). Each thread has a current device (cudaSetDevice);
// streams and device memory belong to the device current when they were made. Work on a stream of
// another device than the current one is refused (cudaErrorInvalidResourceHandle), and a kernel or
// library call touching another device's memory is a violation (no peer access); copies and
// memsets reach any device's memory.
void set_device_count(int count);

// Whether the emulated cuBLASLt offers algorithms for s8 x s8 -> s8 GEMMs that requantize in their
// epilogue (true, the default); false makes the heuristic find none, as a cuBLASLt without them.
void set_int8_requantize_supported(bool supported);
bool int8_requantize_supported();

}  // namespace lowp::cuda_emulation
