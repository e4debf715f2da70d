// CudaCompiledModel: the CUDA backend's CompiledModel. Weights are packed and uploaded once at
// compile time (ModelResources); a CudaProgram is lowered lazily per set of input dims and shared
// by every context. Each context (one per Session) owns a stream, a cuBLASLt handle, and per
// program an activation arena, a workspace, device I/O buffers with pinned host staging, and the
// program captured as a CUDA graph: the first run of a program executes its steps eagerly (with a
// check after each, so a failure names its kernel), later runs replay the graph.
#pragma once

#include <cublasLt.h>
#include <cudnn.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/cuda/cuda_program.h"
#include "backends/cuda/program_lowering.h"
#include "backends/cuda/tactic_store.h"
#include "core/lru_cache.h"
#include "lowp/backend.h"

namespace lowp::cuda {

class CudaCompiledModel : public CompiledModel {
 public:
  // `im2col_slice_bytes`: see LoweringOptions (tests lower it to make small batches slice).
  CudaCompiledModel(std::shared_ptr<const Graph> graph, const CompileOptions& options,
                    const TacticMap& tactics,
                    size_t im2col_slice_bytes = LoweringOptions{}.im2col_slice_bytes);
  ~CudaCompiledModel() override;

  std::unique_ptr<ExecutionContext> create_context() const override;
  void run(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
           const std::vector<Tensor*>& outputs) const override;
  void run_on_device(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
                     const std::vector<Tensor*>& outputs) const override;
  std::vector<std::string> describe() const override;
  TacticMap tactics() const override;

  std::shared_ptr<const CudaProgram> program_for(const std::vector<Dims>& dims) const;

 private:
  // Input dims with `batch` for every dynamic first dimension (other unknown dims 1); throws when
  // batch != 1 and no input has a dynamic first dimension.
  std::vector<Dims> input_dims_for_batch(int64_t batch) const;
  // Frees every device object (programs, weights, library handles); with device_ current.
  void release_device_state();
  std::shared_ptr<const Graph> graph_;
  CompileOptions options_;
  int device_ = 0;           // the GPU everything of this model lives and runs on
  std::string device_line_;  // "CUDA device 0: NVIDIA H100 80GB HBM3 (sm_90)"
  size_t im2col_slice_bytes_;
  ModelResources resources_;

  mutable std::mutex mutex_;  // guards the handle (algorithm queries) and the program cache
  cublasLtHandle_t lt_ = nullptr;
  cudnnHandle_t dnn_ = nullptr;  // null when cuDNN is unavailable
  std::unique_ptr<TacticStore> tactics_;
  std::shared_ptr<const CudaProgram> first_program_;  // lowered at compile for batch 1
  // Shapes kept lowered, CompileOptions::program_cache_size of them (least recently used goes).
  mutable LruCache<std::vector<Dims>, std::shared_ptr<const CudaProgram>> programs_;
};

}  // namespace lowp::cuda
