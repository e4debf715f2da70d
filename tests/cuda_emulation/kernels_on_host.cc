// Host execution of CUDA kernel source (see kernels_on_host.h).
//
// A grid runs block after block. Block 0 runs its threads as fibers (ucontext): each runs until it
// synchronises (__syncthreads, or a warp shuffle, which needs its warp's lanes to arrive first) or
// ends, and a scheduler resumes the threads round-robin, releasing a barrier once every thread it
// waits for arrived. A kernel whose block 0 never synchronised runs its other blocks as plain
// calls, thread after thread (much faster); one that synchronised runs every block as fibers.
// Barrier misuse that would hang or be undefined on a GPU (a barrier some threads of the block
// never reach, lanes that exited before a full-warp shuffle, threads waiting at different barriers)
// is a recorded violation naming the kernel and block.
#include "tests/cuda_emulation/kernels_on_host.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace lowp::cuda_emulation {
namespace {

constexpr size_t kFiberStackBytes = 64 * 1024;
constexpr unsigned kWarp = 32;

enum class Wait { kRunnable, kBlockBarrier, kWarpBarrier, kDone };

struct Fiber {
  ucontext_t context{};
  Wait wait = Wait::kRunnable;
  uint3 thread{0, 0, 0};
};

// One block running as fibers.
struct BlockRun {
  const ThreadBody* body = nullptr;
  ucontext_t scheduler{};
  std::vector<Fiber> fibers;       // by linear thread index (x fastest)
  std::vector<uint64_t> exchange;  // shuffle values, by linear thread index
  size_t current = 0;
  bool synchronised = false;
  std::exception_ptr error;
};

thread_local ThreadPosition position;
thread_local BlockRun* fiber_block = nullptr;  // set while a block runs as fibers

std::string where() {
  const uint3 b = position.block;
  return "block (" + std::to_string(b.x) + "," + std::to_string(b.y) + "," + std::to_string(b.z) +
         ")";
}

// A fiber stack with an inaccessible guard page below it (stacks grow down): an overflow faults.
class FiberStack {
 public:
  FiberStack() {
    mapping_ = mmap(nullptr, kGuardBytes + kFiberStackBytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) throw std::bad_alloc();
    if (mprotect(mapping_, kGuardBytes, PROT_NONE) != 0) {
      munmap(mapping_, kGuardBytes + kFiberStackBytes);
      throw std::bad_alloc();
    }
  }
  ~FiberStack() { munmap(mapping_, kGuardBytes + kFiberStackBytes); }
  FiberStack(const FiberStack&) = delete;
  FiberStack& operator=(const FiberStack&) = delete;
  char* base() const { return static_cast<char*>(mapping_) + kGuardBytes; }

 private:
  static constexpr size_t kGuardBytes = 4096;
  void* mapping_ = nullptr;
};

// Fiber stacks, reused by every block this host thread runs.
char* fiber_stack(size_t index) {
  thread_local std::vector<std::unique_ptr<FiberStack>> stacks;
  while (stacks.size() <= index) stacks.push_back(std::make_unique<FiberStack>());
  return stacks[index]->base();
}

void fiber_main() {
  BlockRun& b = *fiber_block;
  const size_t self = b.current;
  try {
    (*b.body)();
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  b.fibers[self].wait = Wait::kDone;
  // Returning resumes uc_link: the scheduler.
}

// Suspends the running fiber until the scheduler releases `wait`.
void wait_for(Wait wait, const char* what) {
  BlockRun* b = fiber_block;
  if (!b) {
    throw DeviceFault{where() + ": " + what +
                      " in a block run without fibers (block 0 of this launch never "
                      "synchronised; the emulation assumes every block behaves alike)"};
  }
  b->synchronised = true;
  Fiber& f = b->fibers[b->current];
  f.wait = wait;
  swapcontext(&f.context, &b->scheduler);
}

// Releases the barriers every awaited thread arrived at; throws DeviceFault when the block can
// make no progress. Returns false once every thread is done.
bool release_barriers(BlockRun& b) {
  const size_t n = b.fibers.size();
  size_t done = 0, at_block = 0;
  for (const Fiber& f : b.fibers) {
    done += f.wait == Wait::kDone;
    at_block += f.wait == Wait::kBlockBarrier;
  }
  if (done == n) return false;
  bool released = false;
  for (size_t first = 0; first < n; first += kWarp) {
    const size_t last = std::min(n, first + kWarp);
    size_t at_warp = 0, lanes_done = 0;
    for (size_t i = first; i < last; ++i) {
      at_warp += b.fibers[i].wait == Wait::kWarpBarrier;
      lanes_done += b.fibers[i].wait == Wait::kDone;
    }
    if (at_warp == 0) continue;
    if (last - first < kWarp) {
      throw DeviceFault{where() + ": full-warp shuffle in a partial warp of " +
                        std::to_string(last - first) + " threads"};
    }
    if (lanes_done > 0) {
      throw DeviceFault{where() + ": full-warp shuffle after " + std::to_string(lanes_done) +
                        " lanes of the warp exited"};
    }
    if (at_warp == last - first) {
      for (size_t i = first; i < last; ++i) b.fibers[i].wait = Wait::kRunnable;
      released = true;
    }
  }
  if (released) return true;
  if (at_block == n - done) {
    if (done > 0) {
      throw DeviceFault{where() + ": __syncthreads() that " + std::to_string(done) + " of " +
                        std::to_string(n) + " threads never reach (they exited)"};
    }
    for (Fiber& f : b.fibers) f.wait = Wait::kRunnable;
    return true;
  }
  throw DeviceFault{where() + ": threads wait at different barriers (a GPU would hang)"};
}

// Makes `f` start fiber_main on `stack` when resumed, and return to `scheduler` (getcontext
// returns twice: kept out of the caller's loops).
[[gnu::noinline]] void start_fiber(Fiber& f, char* stack, ucontext_t* scheduler) {
  getcontext(&f.context);
  f.context.uc_stack.ss_sp = stack;
  f.context.uc_stack.ss_size = kFiberStackBytes;
  f.context.uc_link = scheduler;
  makecontext(&f.context, fiber_main, 0);
}

// Runs the block at `position` as fibers; returns whether any thread synchronised.
bool run_block_as_fibers(const ThreadBody& body) {
  const dim3 dim = position.block_dim;
  BlockRun b;
  b.body = &body;
  const size_t n = size_t{dim.x} * dim.y * dim.z;
  b.fibers.resize(n);
  b.exchange.assign(n, 0);
  size_t i = 0;
  for (unsigned z = 0; z < dim.z; ++z) {
    for (unsigned y = 0; y < dim.y; ++y) {
      for (unsigned x = 0; x < dim.x; ++x, ++i) {
        b.fibers[i].thread = {x, y, z};
        start_fiber(b.fibers[i], fiber_stack(i), &b.scheduler);
      }
    }
  }
  fiber_block = &b;
  struct Reset {
    ~Reset() { fiber_block = nullptr; }
  } reset;
  do {
    for (size_t t = 0; t < n; ++t) {
      if (b.fibers[t].wait != Wait::kRunnable) continue;
      b.current = t;
      position.thread = b.fibers[t].thread;
      swapcontext(&b.scheduler, &b.fibers[t].context);
      if (b.error) std::rethrow_exception(b.error);
    }
  } while (release_barriers(b));
  return b.synchronised;
}

void run_block_directly(const ThreadBody& body) {
  const dim3 dim = position.block_dim;
  for (unsigned z = 0; z < dim.z; ++z) {
    for (unsigned y = 0; y < dim.y; ++y) {
      for (unsigned x = 0; x < dim.x; ++x) {
        position.thread = {x, y, z};
        body();
      }
    }
  }
}

void run(dim3 grid, dim3 block, const ThreadBody& body) {
  position.block_dim = block;
  position.grid_dim = grid;
  bool fibers = true;
  bool first = true;
  for (unsigned z = 0; z < grid.z; ++z) {
    for (unsigned y = 0; y < grid.y; ++y) {
      for (unsigned x = 0; x < grid.x; ++x) {
        position.block = {x, y, z};
        if (first) {
          fibers = run_block_as_fibers(body);
          first = false;
        } else if (fibers) {
          run_block_as_fibers(body);
        } else {
          run_block_directly(body);
        }
      }
    }
  }
}

bool valid_configuration(dim3 grid, dim3 block) {
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  return grid.x > 0 && grid.y > 0 && grid.z > 0 && grid.x <= 0x7fffffffu && grid.y <= 65535 &&
         grid.z <= 65535 && threads > 0 && threads <= 1024 && block.z <= 64;
}

}  // namespace

const ThreadPosition& thread_position() { return position; }

void sync_threads() { wait_for(Wait::kBlockBarrier, "__syncthreads()"); }

void shuffle_xor(void* value, size_t bytes, int lane_mask) {
  if (!fiber_block) wait_for(Wait::kWarpBarrier, "__shfl_xor_sync");  // throws
  BlockRun& b = *fiber_block;
  const size_t self = b.current;
  uint64_t mine = 0;
  std::memcpy(&mine, value, bytes);
  b.exchange[self] = mine;
  wait_for(Wait::kWarpBarrier, "__shfl_xor_sync");
  const size_t lane = self % kWarp;
  // A source lane outside the warp (lane_mask >= 32) gives the caller its own value, as in CUDA.
  const size_t source = lane ^ static_cast<unsigned>(lane_mask);
  const uint64_t theirs = source < kWarp ? b.exchange[self - lane + source] : mine;
  wait_for(Wait::kWarpBarrier, "__shfl_xor_sync");  // nobody overwrites a value before all read
  std::memcpy(value, &theirs, bytes);
}

void run_grid(const char* kernel, dim3 grid, dim3 block, cudaStream_t stream,
              std::function<ThreadBody()> bind) {
  if (!valid_configuration(grid, block)) {
    set_last_error(cudaErrorInvalidConfiguration);
    return;
  }
  if (take_fault(Fault::kKernelLaunch)) {
    set_last_error(cudaErrorLaunchOutOfResources);
    invalidate_capture(stream);  // a failed launch invalidates the capture it was part of
    return;
  }
  enqueue(stream, std::string("kernel ") + kernel, [grid, block, bind = std::move(bind)] {
    const ThreadBody body = bind();
    run(grid, block, body);
  });
}

void* kernel_pointer_to_host(const void* p, const char* kernel) {
  if (!p) return nullptr;
  return device_span(p, 0, std::string("kernel ") + kernel + " argument");
}

}  // namespace lowp::cuda_emulation
