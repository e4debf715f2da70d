// Host emulation of the CUDA runtime functions the CUDA backend (and its emulated test) call, with
// the signatures of the CUDA 13 headers. One device, "lowp host emulation", sm_90. See
// emulated_stream.h for the model: synchronous streams, stream capture that records work instead
// of running it, graphs that replay the records, and device memory that the host cannot
// dereference (addresses in a reserved PROT_NONE range, storage elsewhere).
//
// Capture rules emulated (as the CUDA runtime documents them):
//  - while a thread captures a stream in global or thread-local mode, "unsafe" calls on that
//    thread (cudaMalloc, cudaFree, cudaMallocHost, cudaFreeHost, synchronous cudaMemcpy /
//    cudaMemset, stream / device / event synchronisation) fail with
//    cudaErrorStreamCaptureUnsupported and invalidate the capture;
//  - synchronising the capturing stream, or capturing the legacy NULL stream, is unsupported;
//  - work on the legacy stream while a blocking stream captures is cudaErrorStreamCaptureImplicit;
//  - copies between device and pageable (not cudaMallocHost) host memory cannot be captured;
//  - cudaGraphExecUpdate succeeds when the captured graph has the same nodes (same operations in
//    the same order; parameters such as pointers may change) and takes the new parameters.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "tests/cuda_emulation/emulated_stream.h"

struct CUstream_st;
struct CUgraph_st;

namespace {

using lowp::cuda_emulation::Counters;
using lowp::cuda_emulation::DeviceFault;

struct Node {
  std::string name;
  std::function<void()> work;
  double cost_ms = 0;
};

}  // namespace

struct CUstream_st {
  unsigned flags = 0;
  bool legacy = false;  // the legacy default stream (of whichever device is current)
  int device = 0;       // created while this device was current
  bool capturing = false;
  bool invalidated = false;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id capture_thread;
  CUgraph_st* graph = nullptr;  // being captured
  double clock_ms = 0;          // emulated time of the work run on this stream
};

struct CUevent_st {
  unsigned flags = 0;
  bool recorded = false;
  double time_ms = 0;
};

struct CUgraph_st {
  std::vector<Node> nodes;
};

struct CUgraphExec_st {
  std::vector<Node> nodes;
};

namespace {

// ---- state -------------------------------------------------------------------------------------

constexpr size_t kAlignment = 256;
constexpr size_t kReservedBytes = size_t{1} << 40;  // device address space (virtual only)

struct Allocation {
  size_t bytes = 0;
  void* storage = nullptr;
  lowp::cuda_emulation::Memory kind = lowp::cuda_emulation::Memory::kUnknown;
  void* mapping = nullptr;  // device storage: the mapping holding it and its guard page
  size_t mapping_bytes = 0;
  int device = 0;  // device memory: the device current when it was allocated
};

struct State {
  std::mutex mutex;  // everything below; never held while work runs
  uintptr_t device_base = 0;
  uintptr_t device_next = 0;
  std::map<uintptr_t, Allocation> allocations;  // by start address (device or pinned host)
  std::set<CUstream_st*> streams;
  std::set<CUevent_st*> events;
  std::set<CUgraph_st*> graphs;
  std::set<CUgraphExec_st*> execs;
  std::vector<std::string> violations;
  Counters counters;
  int global_captures = 0;  // streams capturing in cudaStreamCaptureModeGlobal
};

State& state() {
  static State* s = new State;  // never destroyed: static destructors may still free memory
  return *s;
}

std::atomic<int> sticky_error{cudaSuccess};
thread_local cudaError_t last_error = cudaSuccess;
thread_local int thread_captures = 0;  // global / thread-local captures this thread began
std::atomic<int> device_count{1};
thread_local int current_device = 0;  // cudaSetDevice
// While stream work runs: the device it runs on, whose memory alone its kernels may touch (no
// peer access); -1 for copies and memsets, which reach any device's memory through unified
// addressing.
thread_local int work_device = -1;

int device_of(const CUstream_st* stream) {
  return stream->legacy ? current_device : stream->device;
}

// Sets work_device for a scope.
class WorkDevice {
 public:
  explicit WorkDevice(int device) : saved_(work_device) { work_device = device; }
  ~WorkDevice() { work_device = saved_; }
  WorkDevice(const WorkDevice&) = delete;
  WorkDevice& operator=(const WorkDevice&) = delete;

 private:
  int saved_;
};

CUstream_st& legacy_stream() {
  static CUstream_st* s = [] {
    auto* stream = new CUstream_st;
    stream->legacy = true;
    return stream;
  }();
  return *s;
}

cudaError_t fail(cudaError_t error) {
  last_error = error;
  return error;
}

cudaError_t sticky() { return static_cast<cudaError_t>(sticky_error.load()); }

void print_fault_address(void* address) {
  char buf[96] = "lowp CUDA emulation: the host dereferenced emulated device memory at 0x";
  size_t len = std::strlen(buf);
  const auto value = reinterpret_cast<uintptr_t>(address);
  for (int shift = 60; shift >= 0; shift -= 4)
    buf[len++] = "0123456789abcdef"[(value >> shift) & 15];
  buf[len++] = '\n';
  const ssize_t written = write(2, buf, len);
  (void)written;
}

void on_segv(int, siginfo_t* info, void*) {
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  const State& s = state();
  if (address >= s.device_base && address < s.device_base + kReservedBytes) {
    print_fault_address(info->si_addr);
  }
  // SA_RESETHAND restored the default action: returning re-runs the access, which terminates.
}

// Reserves the device address range on first use.
void reserve_device_range(State& s) {
  if (s.device_base) return;
  void* p =
      mmap(nullptr, kReservedBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "lowp CUDA emulation: cannot reserve the device address range\n");
    std::abort();
  }
  s.device_base = reinterpret_cast<uintptr_t>(p);
  s.device_next = s.device_base + kAlignment;
  struct sigaction action {};
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigaction(SIGSEGV, &action, nullptr);
}

// Host storage for `rounded` (a multiple of kAlignment) bytes of device memory, ending where an
// inaccessible guard page begins: a kernel running on the host (kernels_on_host.cc) that reads or
// writes past an allocation's rounded end faults instead of touching other memory.
bool map_device_storage(size_t rounded, Allocation* a) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t data_bytes = (rounded + page - 1) / page * page;
  void* mapping =
      mmap(nullptr, data_bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) return false;
  char* base = static_cast<char*>(mapping);
  if (mprotect(base + data_bytes, page, PROT_NONE) != 0) {
    munmap(mapping, data_bytes + page);
    return false;
  }
  a->mapping = mapping;
  a->mapping_bytes = data_bytes + page;
  a->storage = base + (data_bytes - rounded);  // kAlignment-aligned: both are multiples of it
  return true;
}

// Allocation holding `p` (device or pinned host), or null. Caller holds the mutex.
const Allocation* find_allocation(State& s, uintptr_t p, uintptr_t* begin) {
  auto it = s.allocations.upper_bound(p);
  if (it == s.allocations.begin()) return nullptr;
  --it;
  if (p >= it->first + std::max<size_t>(it->second.bytes, 1)) return nullptr;
  if (begin) *begin = it->first;
  return &it->second;
}

CUstream_st* resolve(cudaStream_t stream) {
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) {
    return &legacy_stream();
  }
  return stream;
}

bool valid_stream(State& s, CUstream_st* stream) {
  return stream->legacy || s.streams.count(stream) > 0;
}

// A call that is not allowed while this thread captures (see the top of the file).
cudaError_t check_capture_safe() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (thread_captures == 0 && s.global_captures == 0) return cudaSuccess;
  for (CUstream_st* stream : s.streams) {
    if (stream->capturing && stream->mode != cudaStreamCaptureModeRelaxed &&
        (stream->capture_thread == std::this_thread::get_id() ||
         stream->mode == cudaStreamCaptureModeGlobal)) {
      stream->invalidated = true;
    }
  }
  return fail(cudaErrorStreamCaptureUnsupported);
}

void run_work(CUstream_st* stream, const Node& node, int64_t Counters::*counter) {
  try {
    const WorkDevice on(device_of(stream));
    node.work();
  } catch (const DeviceFault& f) {
    lowp::cuda_emulation::record_violation(node.name + ": " + f.message);
  }
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  stream->clock_ms += node.cost_ms;
  ++(s.counters.*counter);
}

using lowp::cuda_emulation::Memory;

Memory kind_of(const void* p) { return lowp::cuda_emulation::memory_of(p); }

// Checks a copy's pointers against its kind; returns cudaSuccess or the error to report.
// `pageable` is set when one side is host memory that cudaMallocHost did not allocate.
cudaError_t check_copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                       bool* pageable) {
  const Memory d = kind_of(dst), s = kind_of(src);
  if (count == 0) return cudaSuccess;
  if (!dst || !src) return cudaErrorInvalidValue;
  bool ok = true;
  switch (kind) {
    case cudaMemcpyHostToDevice:
      ok = d == Memory::kDevice && s != Memory::kDevice;
      *pageable = s == Memory::kUnknown;
      break;
    case cudaMemcpyDeviceToHost:
      ok = s == Memory::kDevice && d != Memory::kDevice;
      *pageable = d == Memory::kUnknown;
      break;
    case cudaMemcpyDeviceToDevice:
      ok = d == Memory::kDevice && s == Memory::kDevice;
      break;
    case cudaMemcpyHostToHost:
      ok = d != Memory::kDevice && s != Memory::kDevice;
      break;
    case cudaMemcpyDefault:
      *pageable = (d == Memory::kUnknown) != (s == Memory::kUnknown);
      break;
    default:
      return cudaErrorInvalidMemcpyDirection;
  }
  return ok ? cudaSuccess : cudaErrorInvalidValue;
}

// The copy itself, run as stream work. Which sides are device memory is decided when the copy is
// issued; those are translated (and checked to be still allocated) when it runs.
std::function<void()> copy_work(void* dst, const void* src, size_t count) {
  const bool dst_device = kind_of(dst) == Memory::kDevice;
  const bool src_device = kind_of(src) == Memory::kDevice;
  return [=] {
    using lowp::cuda_emulation::device_span;
    const WorkDevice any(-1);
    void* d = dst_device ? device_span(dst, count, "copy destination") : dst;
    const void* s = src_device ? device_span(src, count, "copy source") : src;
    std::memcpy(d, s, count);
  };
}

const char* copy_name(cudaMemcpyKind kind) {
  switch (kind) {
    case cudaMemcpyHostToDevice:
      return "memcpy HtoD";
    case cudaMemcpyDeviceToHost:
      return "memcpy DtoH";
    case cudaMemcpyDeviceToDevice:
      return "memcpy DtoD";
    case cudaMemcpyHostToHost:
      return "memcpy HtoH";
    default:
      return "memcpy";
  }
}

}  // namespace

// ---- the emulation's own interface -------------------------------------------------------------

namespace lowp::cuda_emulation {

cudaError_t enqueue(cudaStream_t handle, const std::string& name, std::function<void()> work,
                    double cost_ms) {
  State& s = state();
  CUstream_st* stream = resolve(handle);
  Node node{name, std::move(work), cost_ms};
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!valid_stream(s, stream)) return fail(cudaErrorInvalidResourceHandle);
    const bool copy = name.starts_with("memcpy") || name.starts_with("memset");
    if (!copy && device_of(stream) != current_device) {
      std::fprintf(stderr,
                   "lowp CUDA emulation: %s on a stream of device %d while device %d is current\n",
                   name.c_str(), device_of(stream), current_device);
      return fail(cudaErrorInvalidResourceHandle);
    }
    if (stream->capturing) {
      if (stream->invalidated) return fail(cudaErrorStreamCaptureInvalidated);
      stream->graph->nodes.push_back(std::move(node));
      ++s.counters.captured_work;
      return cudaSuccess;
    }
    if (stream->legacy) {
      bool implicit = false;
      for (CUstream_st* other : s.streams) {
        if (other->capturing && !(other->flags & cudaStreamNonBlocking)) {
          other->invalidated = true;
          implicit = true;
        }
      }
      if (implicit) return fail(cudaErrorStreamCaptureImplicit);
    }
  }
  run_work(stream, node, &Counters::eager_work);
  return cudaSuccess;
}

void* device_span(const void* p, size_t bytes, const std::string& what) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const auto address = reinterpret_cast<uintptr_t>(p);
  uintptr_t begin = 0;
  const Allocation* a = find_allocation(s, address, &begin);
  char buf[160];
  if (!a || a->kind != Memory::kDevice) {
    std::snprintf(buf, sizeof(buf), "%p (%zu bytes) is not device memory%s", p, bytes,
                  a ? " (pinned host memory)" : "");
    throw DeviceFault{what + ": " + buf};
  }
  if (work_device >= 0 && a->device != work_device) {
    std::snprintf(buf, sizeof(buf),
                  "memory of device %d used by work on device %d (no peer access)", a->device,
                  work_device);
    throw DeviceFault{what + ": " + buf};
  }
  if (address + bytes > begin + a->bytes) {
    std::snprintf(buf, sizeof(buf),
                  "%zu bytes at offset %zu run past the end of a %zu-byte allocation", bytes,
                  static_cast<size_t>(address - begin), a->bytes);
    throw DeviceFault{what + ": " + buf};
  }
  return static_cast<char*>(a->storage) + (address - begin);
}

const void* device_span_const(const void* p, size_t bytes, const std::string& what) {
  return device_span(p, bytes, what);
}

Memory memory_of(const void* p) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const Allocation* a = find_allocation(s, reinterpret_cast<uintptr_t>(p), nullptr);
  return a ? a->kind : Memory::kUnknown;
}

void record_violation(const std::string& message) {
  std::cerr << "lowp CUDA emulation: VIOLATION: " << message << "\n";
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.violations.push_back(message);
  sticky_error = cudaErrorIllegalAddress;
}

void set_last_error(cudaError_t error) { last_error = error; }

void invalidate_capture(cudaStream_t handle) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUstream_st* stream = resolve(handle);
  if (valid_stream(s, stream) && stream->capturing) stream->invalidated = true;
}

LibraryCall::LibraryCall() : saved_(last_error) {}
LibraryCall::~LibraryCall() { last_error = saved_; }

Counters counters() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Counters c = s.counters;
  c.live_streams = static_cast<int64_t>(s.streams.size());
  c.live_events = static_cast<int64_t>(s.events.size());
  c.live_graphs = static_cast<int64_t>(s.graphs.size());
  c.live_graph_execs = static_cast<int64_t>(s.execs.size());
  c.live_device_allocations = 0;
  c.live_pinned_allocations = 0;
  for (const auto& [begin, a] : s.allocations) {
    (a.kind == Memory::kDevice ? c.live_device_allocations : c.live_pinned_allocations)++;
  }
  return c;
}

std::vector<std::string> violations() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.violations;
}

void reset() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.violations.clear();
  sticky_error = cudaSuccess;
  last_error = cudaSuccess;
}

void add_to_counter(int64_t Counters::*counter, int64_t delta) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.counters.*counter += delta;
}

namespace {
std::atomic<double> dnn_speed{0.5};
std::atomic<bool> int8_requantize{true};
std::atomic<int> fault_countdown[3] = {-1, -1, -1};  // per Fault: calls to let through; -1: none
}  // namespace

void inject_fault(Fault fault, int skip) { fault_countdown[static_cast<int>(fault)] = skip; }

void clear_faults() {
  for (auto& c : fault_countdown) c = -1;
}

bool take_fault(Fault fault) {
  std::atomic<int>& c = fault_countdown[static_cast<int>(fault)];
  int v = c.load();
  while (v >= 0) {
    if (c.compare_exchange_weak(v, v - 1)) return v == 0;
  }
  return false;
}

void set_cudnn_speed(double relative_cost) { dnn_speed = relative_cost; }

void set_device_count(int count) { device_count = count; }
double cudnn_speed() { return dnn_speed; }

void set_int8_requantize_supported(bool supported) { int8_requantize = supported; }
bool int8_requantize_supported() { return int8_requantize; }

}  // namespace lowp::cuda_emulation

// ---- the CUDA runtime API ----------------------------------------------------------------------

extern "C" {

cudaError_t cudaGetDeviceCount(int* count) {
  if (!count) return fail(cudaErrorInvalidValue);
  *count = device_count;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (!device) return fail(cudaErrorInvalidValue);
  *device = current_device;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= device_count) return fail(cudaErrorInvalidDevice);
  current_device = device;
  return cudaSuccess;
}

// No driver entry points: lowp then treats every thread as having a context current.
cudaError_t cudaGetDriverEntryPointByVersion(const char*, void** function, unsigned int,
                                             unsigned long long,
                                             cudaDriverEntryPointQueryResult* found) {
  if (function) *function = nullptr;
  if (found) *found = cudaDriverEntryPointSymbolNotFound;
  return fail(cudaErrorNotSupported);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (!prop) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= device_count) return fail(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof(prop->name), "lowp host emulation");
  prop->major = 9;
  prop->minor = 0;
  prop->totalGlobalMem = size_t{80} << 30;
  prop->multiProcessorCount = 132;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->sharedMemPerBlock = 48 << 10;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 0x7fffffff;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
  if (cudaError_t e = check_capture_safe()) return e;
  return sticky() ? fail(sticky()) : cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return sticky() ? sticky() : e;
}

cudaError_t cudaPeekAtLastError(void) { return sticky() ? sticky() : last_error; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
#define LOWP_EMULATED_ERROR(e) \
  case e:                      \
    return #e;
    LOWP_EMULATED_ERROR(cudaSuccess)
    LOWP_EMULATED_ERROR(cudaErrorInvalidValue)
    LOWP_EMULATED_ERROR(cudaErrorMemoryAllocation)
    LOWP_EMULATED_ERROR(cudaErrorInvalidConfiguration)
    LOWP_EMULATED_ERROR(cudaErrorInvalidDevicePointer)
    LOWP_EMULATED_ERROR(cudaErrorInvalidMemcpyDirection)
    LOWP_EMULATED_ERROR(cudaErrorInvalidDevice)
    LOWP_EMULATED_ERROR(cudaErrorInvalidResourceHandle)
    LOWP_EMULATED_ERROR(cudaErrorIllegalState)
    LOWP_EMULATED_ERROR(cudaErrorNotReady)
    LOWP_EMULATED_ERROR(cudaErrorIllegalAddress)
    LOWP_EMULATED_ERROR(cudaErrorLaunchOutOfResources)
    LOWP_EMULATED_ERROR(cudaErrorStreamCaptureUnsupported)
    LOWP_EMULATED_ERROR(cudaErrorStreamCaptureInvalidated)
    LOWP_EMULATED_ERROR(cudaErrorStreamCaptureImplicit)
    LOWP_EMULATED_ERROR(cudaErrorStreamCaptureWrongThread)
    LOWP_EMULATED_ERROR(cudaErrorGraphExecUpdateFailure)
#undef LOWP_EMULATED_ERROR
    default:
      return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
    case cudaErrorInvalidMemcpyDirection:
      return "invalid copy direction for memcpy";
    case cudaErrorInvalidResourceHandle:
      return "invalid resource handle";
    case cudaErrorIllegalState:
      return "the operation cannot be performed in the present state";
    case cudaErrorLaunchOutOfResources:
      return "too many resources requested for launch (injected by the lowp CUDA emulation)";
    case cudaErrorIllegalAddress:
      return "an illegal memory access was encountered (see the emulation's VIOLATION lines)";
    case cudaErrorStreamCaptureUnsupported:
      return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated:
      return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureImplicit:
      return "operation would make the legacy stream depend on a capturing blocking stream";
    case cudaErrorStreamCaptureWrongThread:
      return "attempt to terminate a thread-local capture sequence from another thread";
    case cudaErrorGraphExecUpdateFailure:
      return "the graph update was not performed because it included changes which violated "
             "constraints specific to instantiated graph update";
    default:
      return "unrecognized error code (lowp CUDA emulation)";
  }
}

// ---- memory ------------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, size_t size) {
  if (!ptr) return fail(cudaErrorInvalidValue);
  if (cudaError_t e = check_capture_safe()) return e;
  if (lowp::cuda_emulation::take_fault(lowp::cuda_emulation::Fault::kDeviceMalloc)) {
    return fail(cudaErrorMemoryAllocation);
  }
  State& s = state();
  const size_t rounded = (std::max<size_t>(size, 1) + kAlignment - 1) / kAlignment * kAlignment;
  Allocation a{size, nullptr, Memory::kDevice};
  a.device = current_device;
  if (!map_device_storage(rounded, &a)) return fail(cudaErrorMemoryAllocation);
  // Fresh device memory is not zeroed on a GPU: all-ones bytes are NaN as f32 and f16 (and -1 as
  // s8), so a kernel reading memory nothing wrote shows up in the results.
  std::memset(a.storage, 0xff, rounded);
  std::lock_guard<std::mutex> lock(s.mutex);
  reserve_device_range(s);
  if (s.device_next + rounded > s.device_base + kReservedBytes) {
    munmap(a.mapping, a.mapping_bytes);
    return fail(cudaErrorMemoryAllocation);
  }
  const uintptr_t address = s.device_next;
  s.device_next += rounded + kAlignment;  // a gap: addresses are never reused, ranges never touch
  s.allocations[address] = a;
  *ptr = reinterpret_cast<void*>(address);
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  if (cudaError_t e = check_capture_safe()) return e;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.allocations.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == s.allocations.end() || it->second.kind != Memory::kDevice) {
    return fail(cudaErrorInvalidValue);
  }
  munmap(it->second.mapping, it->second.mapping_bytes);
  s.allocations.erase(it);
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
  if (!ptr) return fail(cudaErrorInvalidValue);
  if (cudaError_t e = check_capture_safe()) return e;
  const size_t rounded = (std::max<size_t>(size, 1) + kAlignment - 1) / kAlignment * kAlignment;
  void* storage = std::aligned_alloc(kAlignment, rounded);
  if (!storage) return fail(cudaErrorMemoryAllocation);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.allocations[reinterpret_cast<uintptr_t>(storage)] = {size, storage, Memory::kPinnedHost};
  *ptr = storage;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  if (!ptr) return cudaSuccess;
  if (cudaError_t e = check_capture_safe()) return e;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.allocations.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == s.allocations.end() || it->second.kind != Memory::kPinnedHost) {
    return fail(cudaErrorInvalidValue);
  }
  std::free(it->second.storage);
  s.allocations.erase(it);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (cudaError_t e = check_capture_safe()) return e;
  bool pageable = false;
  if (cudaError_t e = check_copy(dst, src, count, kind, &pageable)) return fail(e);
  if (count == 0) return cudaSuccess;
  if (cudaError_t e =
          lowp::cuda_emulation::enqueue(nullptr, copy_name(kind), copy_work(dst, src, count))) {
    return e;
  }
  return sticky() ? fail(sticky()) : cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  bool pageable = false;
  if (cudaError_t e = check_copy(dst, src, count, kind, &pageable)) return fail(e);
  if (count == 0) return cudaSuccess;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaError_t e = cudaStreamIsCapturing(stream, &status)) return e;
  if (pageable && status != cudaStreamCaptureStatusNone) {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    resolve(stream)->invalidated = true;
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  return lowp::cuda_emulation::enqueue(stream, copy_name(kind), copy_work(dst, src, count));
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  if (cudaError_t e = check_capture_safe()) return e;
  if (count == 0) return cudaSuccess;
  if (kind_of(ptr) != Memory::kDevice) return fail(cudaErrorInvalidValue);
  if (cudaError_t e = lowp::cuda_emulation::enqueue(nullptr, "memset", [=] {
        const WorkDevice any(-1);
        std::memset(lowp::cuda_emulation::device_span(ptr, count, "memset"), value, count);
      })) {
    return e;
  }
  return sticky() ? fail(sticky()) : cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (kind_of(ptr) != Memory::kDevice) return fail(cudaErrorInvalidValue);
  return lowp::cuda_emulation::enqueue(stream, "memset", [=] {
    const WorkDevice any(-1);
    std::memset(lowp::cuda_emulation::device_span(ptr, count, "memset"), value, count);
  });
}

// ---- streams and events ------------------------------------------------------------------------

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  if (!stream || (flags & ~unsigned{cudaStreamNonBlocking})) return fail(cudaErrorInvalidValue);
  auto* s = new CUstream_st;
  s->flags = flags;
  s->device = current_device;
  State& st = state();
  std::lock_guard<std::mutex> lock(st.mutex);
  st.streams.insert(s);
  *stream = s;
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!stream || !s.streams.count(stream)) return fail(cudaErrorInvalidResourceHandle);
  if (stream->capturing) {
    if (stream->mode != cudaStreamCaptureModeRelaxed) {
      if (stream->mode == cudaStreamCaptureModeGlobal) --s.global_captures;
      if (stream->capture_thread == std::this_thread::get_id()) --thread_captures;
    }
    s.graphs.erase(stream->graph);
    delete stream->graph;
  }
  s.streams.erase(stream);
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t handle) {
  CUstream_st* stream = resolve(handle);
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!valid_stream(s, stream)) return fail(cudaErrorInvalidResourceHandle);
    if (stream->capturing) {
      stream->invalidated = true;
      return fail(cudaErrorStreamCaptureUnsupported);
    }
  }
  if (cudaError_t e = check_capture_safe()) return e;
  return sticky() ? fail(sticky()) : cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t handle, cudaEvent_t event, unsigned int flags) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!valid_stream(s, resolve(handle)) || !s.events.count(event)) {
    return fail(cudaErrorInvalidResourceHandle);
  }
  return cudaSuccess;  // work is synchronous: whatever the event marks has completed
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  if (!event) return fail(cudaErrorInvalidValue);
  auto* e = new CUevent_st;
  e->flags = flags;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.events.insert(e);
  *event = e;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.events.erase(event)) return fail(cudaErrorInvalidResourceHandle);
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t handle) {
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.events.count(event)) return fail(cudaErrorInvalidResourceHandle);
  }
  CUstream_st* stream = resolve(handle);
  return lowp::cuda_emulation::enqueue(
      handle, "event record",
      [event, stream] {
        State& s = state();
        std::lock_guard<std::mutex> lock(s.mutex);
        event->recorded = true;
        event->time_ms = stream->clock_ms;
      },
      0.0);
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.events.count(event)) return fail(cudaErrorInvalidResourceHandle);
  }
  if (cudaError_t e = check_capture_safe()) return e;
  return sticky() ? fail(sticky()) : cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!ms) return fail(cudaErrorInvalidValue);
  if (!s.events.count(start) || !s.events.count(end)) return fail(cudaErrorInvalidResourceHandle);
  if ((start->flags | end->flags) & cudaEventDisableTiming) {
    return fail(cudaErrorInvalidResourceHandle);
  }
  if (!start->recorded || !end->recorded) return fail(cudaErrorInvalidResourceHandle);
  *ms = static_cast<float>(end->time_ms - start->time_ms);
  return cudaSuccess;
}

// ---- stream capture and graphs -----------------------------------------------------------------

cudaError_t cudaStreamBeginCapture(cudaStream_t handle, cudaStreamCaptureMode mode) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUstream_st* stream = resolve(handle);
  if (stream->legacy) return fail(cudaErrorStreamCaptureUnsupported);
  if (!s.streams.count(stream)) return fail(cudaErrorInvalidResourceHandle);
  if (stream->capturing) return fail(cudaErrorIllegalState);
  stream->capturing = true;
  stream->invalidated = false;
  stream->mode = mode;
  stream->capture_thread = std::this_thread::get_id();
  stream->graph = new CUgraph_st;
  s.graphs.insert(stream->graph);
  if (mode == cudaStreamCaptureModeGlobal) ++s.global_captures;
  if (mode != cudaStreamCaptureModeRelaxed) ++thread_captures;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t handle, cudaGraph_t* graph) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUstream_st* stream = resolve(handle);
  if (!graph) return fail(cudaErrorInvalidValue);
  if (!valid_stream(s, stream) || !stream->capturing) return fail(cudaErrorIllegalState);
  if (stream->mode != cudaStreamCaptureModeRelaxed &&
      stream->capture_thread != std::this_thread::get_id()) {
    return fail(cudaErrorStreamCaptureWrongThread);
  }
  if (stream->mode == cudaStreamCaptureModeGlobal) --s.global_captures;
  if (stream->mode != cudaStreamCaptureModeRelaxed) --thread_captures;
  stream->capturing = false;
  CUgraph_st* captured = std::exchange(stream->graph, nullptr);
  if (stream->invalidated) {
    stream->invalidated = false;
    s.graphs.erase(captured);
    delete captured;
    *graph = nullptr;
    return fail(cudaErrorStreamCaptureInvalidated);
  }
  *graph = captured;
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t handle, cudaStreamCaptureStatus* status) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUstream_st* stream = resolve(handle);
  if (!status) return fail(cudaErrorInvalidValue);
  if (!valid_stream(s, stream)) return fail(cudaErrorInvalidResourceHandle);
  *status = !stream->capturing    ? cudaStreamCaptureStatusNone
            : stream->invalidated ? cudaStreamCaptureStatusInvalidated
                                  : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph,
                                 unsigned long long flags) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!exec || flags != 0) return fail(cudaErrorInvalidValue);
  if (!s.graphs.count(graph)) return fail(cudaErrorInvalidResourceHandle);
  auto* e = new CUgraphExec_st;
  e->nodes = graph->nodes;
  s.execs.insert(e);
  ++s.counters.graph_instantiations;
  *exec = e;
  return cudaSuccess;
}

cudaError_t cudaGraphExecUpdate(cudaGraphExec_t exec, cudaGraph_t graph,
                                cudaGraphExecUpdateResultInfo* info) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!info) return fail(cudaErrorInvalidValue);
  if (!s.execs.count(exec) || !s.graphs.count(graph)) return fail(cudaErrorInvalidResourceHandle);
  *info = cudaGraphExecUpdateResultInfo{};
  if (exec->nodes.size() != graph->nodes.size()) {
    info->result = cudaGraphExecUpdateErrorTopologyChanged;
  } else {
    for (size_t i = 0; i < exec->nodes.size(); ++i) {
      if (exec->nodes[i].name != graph->nodes[i].name) {
        info->result = cudaGraphExecUpdateErrorFunctionChanged;
        break;
      }
    }
  }
  if (info->result != cudaGraphExecUpdateSuccess) {
    ++s.counters.graph_update_failures;
    return fail(cudaErrorGraphExecUpdateFailure);
  }
  exec->nodes = graph->nodes;
  ++s.counters.graph_updates;
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t handle) {
  CUstream_st* stream = resolve(handle);
  std::vector<Node> nodes;
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.execs.count(exec) || !valid_stream(s, stream)) {
      return fail(cudaErrorInvalidResourceHandle);
    }
    nodes = exec->nodes;  // a later update does not change a launch already made
  }
  auto replay = [stream, nodes] {
    for (const Node& node : nodes) run_work(stream, node, &Counters::graph_work);
  };
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaError_t e = cudaStreamIsCapturing(handle, &status)) return e;
  if (status != cudaStreamCaptureStatusNone) {
    return lowp::cuda_emulation::enqueue(handle, "child graph", replay, 0.0);
  }
  replay();
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  ++s.counters.graph_launches;
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.graphs.erase(graph)) return fail(cudaErrorInvalidResourceHandle);
  delete graph;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.execs.erase(exec)) return fail(cudaErrorInvalidResourceHandle);
  delete exec;
  return cudaSuccess;
}

}  // extern "C"
