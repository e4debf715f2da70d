// Per-session mutable state of the CPU backend: a oneDNN stream, the activation arena, the
// scratchpad and, per Program run so far, the oneDNN memory objects bound to them.
#pragma once

#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/program.h"
#include "lowp/backend.h"

namespace lowp::cpu {

class CpuExecutionContext : public ExecutionContext {
 public:
  explicit CpuExecutionContext(const dnnl::engine& engine);

  // Runs `program` on caller-owned inputs / outputs (graph order, dims already matched).
  void run(const Program& program, const std::vector<const Tensor*>& inputs,
           const std::vector<Tensor*>& outputs);

  // The program this context ran last and the input dims / keyed values it was chosen for.
  std::shared_ptr<const Program> last_program;
  std::vector<Dims> last_dims;
  std::vector<std::vector<int64_t>> last_values;

 private:
  struct BoundArg {
    dnnl::memory memory;
    int slot;
  };
  // Memory objects of one Program bound to this context's arena and scratchpad.
  struct BoundProgram {
    std::vector<std::unordered_map<int, dnnl::memory>> args;  // per step
    std::vector<BoundArg> io;  // bound to caller buffers: new handle every run
  };

  BoundProgram& bind(const Program& program);
  void* slot_data(const Slot& slot, const std::vector<const Tensor*>& inputs,
                  const std::vector<Tensor*>& outputs) const;
  void run_fallback(const Program& program, const FallbackStep& step,
                    const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs);

  dnnl::engine engine_;
  dnnl::stream stream_;
  AlignedBuffer arena_;
  AlignedBuffer scratchpad_;
  std::map<const Program*, BoundProgram> bound_;
};

}  // namespace lowp::cpu
