// CpuCompiledModel: the oneDNN backend's CompiledModel (fp32; bf16 on AVX512-BF16; fp16 plans run
// in f32, see fp16_emulation.h; quantized graphs in int8, see int8_lowering.cc). Immutable to its
// users; internally it lowers the graph lazily into one Program per set of input dims (and contents
// of small integer inputs, which shape ops may need), caching the
// CompileOptions::program_cache_size most recently used Programs (core/lru_cache.h) and
// packed weights under a mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "backends/cpu/program.h"
#include "backends/cpu/program_builder.h"
#include "core/lru_cache.h"
#include "lowp/backend.h"

namespace lowp::cpu {

class CpuCompiledModel : public CompiledModel {
 public:
  CpuCompiledModel(std::shared_ptr<const Graph> graph, const CompileOptions& options);

  std::unique_ptr<ExecutionContext> create_context() const override;
  void run(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
           const std::vector<Tensor*>& outputs) const override;
  std::vector<std::string> describe() const override;

 private:
  struct ProgramKey {
    std::vector<Dims> dims;
    std::vector<std::vector<int64_t>> values;  // contents of keyed (small integer) inputs
    auto operator<=>(const ProgramKey&) const = default;
  };
  ProgramKey key_for(const std::vector<const Tensor*>& inputs) const;
  std::shared_ptr<const Program> program_for(const ProgramKey& key,
                                             const std::vector<const Tensor*>& inputs) const;
  std::vector<std::string> describe_nodes() const;
  void check_io(const std::vector<const Tensor*>& inputs,
                const std::vector<Tensor*>& outputs) const;

  std::shared_ptr<const Graph> graph_;
  CompileOptions options_;
  dnnl::engine engine_;
  std::string precision_note_;              // first describe() line for fp16 / bf16 graphs
  std::vector<bool> keyed_;                 // per graph input: contents select the Program
  void (*set_num_threads_)(int) = nullptr;  // OpenMP's omp_set_num_threads when threads > 0

  // Guards programs_ (lookups and inserts only: programs are built without it). weights_ has a
  // lock of its own.
  mutable std::mutex mutex_;
  mutable LruCache<ProgramKey, std::shared_ptr<const Program>> programs_;
  mutable WeightCache weights_;
};

}  // namespace lowp::cpu
