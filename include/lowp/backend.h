// The contract between the engine and a backend. A backend lowers an optimised Graph into a
// CompiledModel: immutable, shared by all sessions, holding packed weights and (lazily, per set of
// input dims) created primitives. Per-session mutable state (activation arena, scratchpad, stream)
// lives in an ExecutionContext.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/options.h"

namespace lowp {

using TacticMap = std::map<std::string, std::string>;

class ExecutionContext {
 public:
  virtual ~ExecutionContext() = default;
};

class CompiledModel {
 public:
  virtual ~CompiledModel() = default;
  virtual std::unique_ptr<ExecutionContext> create_context() const = 0;
  // inputs / outputs are in graph input / output order, with concrete dims already checked.
  virtual void run(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor*>& outputs) const = 0;
  // Like run() with inputs and outputs in device memory (MemoryKind::kCuda). Host-only backends
  // throw kUnsupported.
  virtual void run_on_device(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
                             const std::vector<Tensor*>& outputs) const;
  // One line per node: how it is executed (primitive kind, precision, fused ops).
  virtual std::vector<std::string> describe() const { return {}; }
  // Algorithm choices measured so far (key -> opaque value), saved in plans and handed back to
  // the backend when the plan is loaded, like TensorRT's tactics. Backends that time nothing
  // return none.
  virtual TacticMap tactics() const { return {}; }
};

// Whether each backend runs `node` as it stands (its op and fused forms such as Node::activation).
// The engine hands the target's to passes (PassContext::backend_supports) before they fuse.
bool cpu_supports(const Node& node);
bool cuda_supports(const Node& node);  // false in a build without the CUDA backend

// How the CPU computes a plan of this precision when that differs from the plan ("" otherwise).
std::string cpu_precision_note(Precision precision);

std::unique_ptr<CompiledModel> compile_for_cpu(std::shared_ptr<const Graph> graph,
                                               const CompileOptions& options);
// The CUDA device current on the calling thread (-1 when CUDA is unavailable).
int current_cuda_device();
// The CUDA backend (backends/cuda/); in a build without it, throws kUnsupported saying so.
// `tactics`: choices from a loaded plan, reused when they still fit this GPU and library.
std::unique_ptr<CompiledModel> compile_for_cuda(std::shared_ptr<const Graph> graph,
                                                const CompileOptions& options,
                                                const TacticMap& tactics = {});

}  // namespace lowp
