// The CUDA backend's measured algorithm choices (tactics), shared by every program of a compiled
// model: cuBLASLt algorithms per GEMM problem and, per convolution, cuDNN (with its algorithm) or
// im2col + cuBLASLt. Keys start with the GPU and library versions they were measured with, so a
// plan moved to another GPU or library times again instead of trusting stale choices. Saved in
// the plan (CompiledModel::tactics) and handed back on load.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "lowp/backend.h"

namespace lowp::cuda {

class TacticStore {
 public:
  // `identity`: "NVIDIA H100 80GB HBM3|sm_90|cublasLt 130000|cudnn 91900"
  TacticStore(std::string identity, TacticMap loaded);

  std::optional<std::string> find(const std::string& key) const;
  void record(const std::string& key, std::string value);
  TacticMap all() const;  // every entry, loaded ones included

 private:
  std::string prefix_;
  mutable std::mutex mutex_;
  TacticMap entries_;
};

}  // namespace lowp::cuda
