#include "backends/cuda/lt_gemm.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/device_timing.h"
#include "lowp/error.h"

namespace lowp::cuda {
namespace {

const char* type_name(GemmType type) {
  switch (type) {
    case GemmType::kF32:
      return "f32";
    case GemmType::kTf32:
      return "tf32";
    case GemmType::kF16:
      return "f16";
    case GemmType::kS8:
      return "s8";
  }
  return "?";
}

cudaDataType_t input_type(GemmType type) {
  switch (type) {
    case GemmType::kF16:
      return CUDA_R_16F;
    case GemmType::kS8:
      return CUDA_R_8I;
    default:
      return CUDA_R_32F;
  }
}

cudaDataType_t output_type(const GemmConfig& config) {
  switch (config.type) {
    case GemmType::kF16:
      return CUDA_R_16F;
    case GemmType::kS8:
      return requantizes(config) ? CUDA_R_8I : CUDA_R_32I;
    default:
      return CUDA_R_32F;
  }
}

// Scale type: int32 for an s8 GEMM writing s32, f32 otherwise.
bool integer_scalars(const GemmConfig& config) {
  return config.type == GemmType::kS8 && !requantizes(config);
}

// alpha / beta of the scale type. Host scalars, except a requantizing GEMM's alpha: the device
// vector of per-channel scales.
struct Scalars {
  const GemmConfig* config;
  float f_alpha = 1.f, f_beta = 0.f;
  int32_t i_alpha = 1, i_beta = 0;
  const void* alpha() const {
    if (requantizes(*config)) return config->channel_scale;
    return integer_scalars(*config) ? static_cast<const void*>(&i_alpha) : &f_alpha;
  }
  const void* beta() const {
    return integer_scalars(*config) ? static_cast<const void*>(&i_beta) : &f_beta;
  }
};

Scalars scalars_for(const GemmConfig& config) {
  Scalars s{&config};
  if (config.accumulate) {
    s.f_beta = requantizes(config) ? config.residual_scale : 1.f;
    s.i_beta = 1;
  }
  return s;
}

}  // namespace

size_t element_bytes(GemmType type) {
  return type == GemmType::kF16 ? 2 : type == GemmType::kS8 ? 1 : 4;
}

size_t output_element_bytes(const GemmConfig& config) {
  return config.type == GemmType::kF16 ? 2 : requantizes(config) ? 1 : 4;
}

LtGemm::LtGemm(cublasLtHandle_t handle, const GemmConfig& config, size_t workspace_limit,
               bool time_candidates, const std::string& what, TacticStore* tactics)
    : config_(config), what_(what) {
  try {
    configure(handle, workspace_limit, time_candidates, tactics);
  } catch (...) {
    release();
    throw;
  }
}

bool LtGemm::reuse_stored(cublasLtHandle_t handle, size_t workspace_limit,
                          const std::string& stored) {
  if (stored.size() != sizeof(cublasLtMatmulAlgo_t)) return false;
  cublasLtMatmulAlgo_t algo;
  std::memcpy(&algo, stored.data(), sizeof(algo));
  cublasLtMatmulHeuristicResult_t result{};
  if (cublasLtMatmulAlgoCheck(handle, desc_, a_, b_, c_, d_, &algo, &result) !=
          CUBLAS_STATUS_SUCCESS ||
      result.workspaceSize > workspace_limit) {
    return false;
  }
  algo_ = algo;
  workspace_bytes_ = result.workspaceSize;
  from_plan_ = true;
  candidates_ = 1;
  return true;
}

void LtGemm::configure(cublasLtHandle_t handle, size_t workspace_limit, bool time_candidates,
                       TacticStore* tactics) {
  const GemmConfig& config = config_;
  const std::string& what = what_;
  const bool requantize = requantizes(config);
  if (config.type == GemmType::kS8 && !requantize &&
      (config.bias || config.relu || config.accumulate)) {
    throw_error(ErrorCode::kInternal, what + ": an s32-output int8 GEMM takes no epilogue");
  }
  const cublasComputeType_t compute = config.type == GemmType::kS8 ? CUBLAS_COMPUTE_32I
                                      : config.type == GemmType::kTf32
                                          ? CUBLAS_COMPUTE_32F_FAST_TF32
                                          : CUBLAS_COMPUTE_32F;
  const cudaDataType_t scale = integer_scalars(config) ? CUDA_R_32I : CUDA_R_32F;
  check_cublas(cublasLtMatmulDescCreate(&desc_, compute, scale),
               what + ": cublasLtMatmulDescCreate");
  if (requantize) {
    const int32_t mode = config.accumulate ? CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST
                                           : CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO;
    check_cublas(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_POINTER_MODE, &mode,
                                                sizeof(mode)),
                 what + ": POINTER_MODE");
    if (config.bias) {
      const int32_t bias_type = CUDA_R_32F;
      check_cublas(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE,
                                                  &bias_type, sizeof(bias_type)),
                   what + ": BIAS_DATA_TYPE");
    }
  }
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  check_cublas(
      cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof(op_t)),
      what + ": TRANSA");
  check_cublas(
      cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof(op_n)),
      what + ": TRANSB");
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  if (config.bias)
    epilogue = config.relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  else if (config.relu)
    epilogue = CUBLASLT_EPILOGUE_RELU;
  check_cublas(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
                                              sizeof(epilogue)),
               what + ": EPILOGUE");
  if (config.bias) {
    check_cublas(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                &config.bias, sizeof(config.bias)),
                 what + ": BIAS_POINTER");
  }
  const cudaDataType_t in = input_type(config.type), out = output_type(config);
  const auto m = static_cast<uint64_t>(config.m), n = static_cast<uint64_t>(config.n),
             k = static_cast<uint64_t>(config.k);
  check_cublas(cublasLtMatrixLayoutCreate(&a_, in, k, n, config.k), what + ": layout A");
  check_cublas(cublasLtMatrixLayoutCreate(&b_, in, k, m, config.k), what + ": layout B");
  check_cublas(cublasLtMatrixLayoutCreate(&c_, out, n, m, config.n), what + ": layout C");
  check_cublas(cublasLtMatrixLayoutCreate(&d_, out, n, m, config.n), what + ": layout D");

  // The operand alignment asked of the algorithm is part of what makes a stored one valid.
  constexpr uint32_t kAlignment = 16;
  char key[160];
  std::snprintf(key, sizeof(key), "lt|a%u|%s%s|%lld|%lld|%lld|%d%d%d", kAlignment,
                type_name(config.type), requantize ? "q" : "", static_cast<long long>(config.m),
                static_cast<long long>(config.n), static_cast<long long>(config.k),
                config.bias != nullptr, config.relu, config.accumulate);
  const std::optional<std::string> stored = tactics ? tactics->find(key) : std::nullopt;
  if (stored && reuse_stored(handle, workspace_limit, *stored)) {
    read_algo_id();
    return;
  }
  cublasLtMatmulPreference_t pref = nullptr;
  check_cublas(cublasLtMatmulPreferenceCreate(&pref), what + ": preference");
  uint64_t limit = workspace_limit;
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &limit,
                                       sizeof(limit));
  // Operands are only 16-byte aligned when the caller binds its own device buffers (the arena
  // gives 256): ask for algorithms that accept that.
  const uint32_t alignment = kAlignment;
  for (auto attr :
       {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES}) {
    cublasLtMatmulPreferenceSetAttribute(pref, attr, &alignment, sizeof(alignment));
  }
  std::vector<cublasLtMatmulHeuristicResult_t> results(time_candidates ? 8 : 1);
  int found = 0;
  const int status =
      cublasLtMatmulAlgoGetHeuristic(handle, desc_, a_, b_, c_, d_, pref,
                                     static_cast<int>(results.size()), results.data(), &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (status != CUBLAS_STATUS_NOT_SUPPORTED) {
    check_cublas(status, what + ": cublasLtMatmulAlgoGetHeuristic");
  }
  if (status == CUBLAS_STATUS_NOT_SUPPORTED || found == 0) {
    throw_error(ErrorCode::kUnsupported,
                what + ": cuBLASLt has no algorithm for " + type_name(config.type) + " " +
                    std::to_string(config.m) + "x" + std::to_string(config.n) + "x" +
                    std::to_string(config.k));
  }
  candidates_ = found;
  int best = 0;
  if (time_candidates && found > 1) {
    // Scratch operands (contents do not matter for timing) and one event pair per candidate.
    DeviceBuffer w(element_bytes(config.type) * n * k, what + " tactic timing");
    DeviceBuffer x(element_bytes(config.type) * m * k, what + " tactic timing");
    DeviceBuffer c(output_element_bytes(config) * m * n, what + " tactic timing");
    DeviceBuffer d(output_element_bytes(config) * m * n, what + " tactic timing");
    check_cuda(cudaMemset(w.get(), 0, w.bytes()), what + ": cudaMemset");
    check_cuda(cudaMemset(x.get(), 0, x.bytes()), what + ": cudaMemset");
    check_cuda(cudaMemset(c.get(), 0, c.bytes()), what + ": cudaMemset");
    size_t max_ws = 0;
    for (int i = 0; i < found; ++i) max_ws = std::max(max_ws, results[i].workspaceSize);
    DeviceBuffer ws(max_ws, what + " tactic workspace");
    const Scalars s = scalars_for(config);
    for (int i = 0; i < found; ++i) {
      auto launch = [&] {
        return cublasLtMatmul(handle, desc_, s.alpha(), w.get(), a_, x.get(), b_, s.beta(), c.get(),
                              c_, d.get(), d_, &results[i].algo, ws.get(), results[i].workspaceSize,
                              nullptr);
      };
      if (launch() != CUBLAS_STATUS_SUCCESS) continue;  // warm-up; skip algorithms that fail
      const float ms = time_on_device(
          what + ": timing candidate", nullptr, [&](cudaStream_t) { launch(); },
          /*warm_up=*/false);
      if (measured_ms_ < 0.f || ms < measured_ms_) {
        best = i;
        measured_ms_ = ms;
      }
    }
    if (measured_ms_ < 0.f) {  // the heuristic's candidates all failed to run
      (void)cudaGetLastError();
      throw_error(ErrorCode::kUnsupported,
                  what + ": cuBLASLt ran none of the " + std::to_string(found) +
                      " algorithms it offered for " + type_name(config.type) + " " +
                      std::to_string(config.m) + "x" + std::to_string(config.n) + "x" +
                      std::to_string(config.k));
    }
  }
  algo_ = results[best].algo;
  workspace_bytes_ = results[best].workspaceSize;
  read_algo_id();
  if (tactics) {
    tactics->record(key, std::string(reinterpret_cast<const char*>(&algo_), sizeof(algo_)));
  }
}

void LtGemm::read_algo_id() {
  int id = -1;
  size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo_, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof(id),
                                           &written) == CUBLAS_STATUS_SUCCESS) {
    algo_id_ = id;
  }
}

LtGemm::~LtGemm() { release(); }

void LtGemm::release() {
  for (cublasLtMatrixLayout_t* layout : {&d_, &c_, &b_, &a_}) {
    if (*layout) cublasLtMatrixLayoutDestroy(*layout);
    *layout = nullptr;
  }
  if (desc_) cublasLtMatmulDescDestroy(desc_);
  desc_ = nullptr;
}

void LtGemm::run(cublasLtHandle_t handle, const void* w, const void* x, const void* c, void* d,
                 void* workspace, cudaStream_t stream) const {
  const Scalars s = scalars_for(config_);
  check_cublas(
      cublasLtMatmul(handle, desc_, s.alpha(), w, a_, x, b_, s.beta(), config_.accumulate ? c : d,
                     c_, d, d_, &algo_, workspace, workspace_bytes_, stream),
      what_ + ": cublasLtMatmul");
}

std::string LtGemm::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "cuBLASLt %s TN m=%lld n=%lld k=%lld algo %d (%d candidates%s)",
                type_name(config_.type), static_cast<long long>(config_.m),
                static_cast<long long>(config_.n), static_cast<long long>(config_.k), algo_id_,
                candidates_,
                from_plan_            ? ", from the plan"
                : measured_ms_ >= 0.f ? ", timed"
                                      : "");
  std::string s = buf;
  if (requantizes(config_)) s += " -> s8 (int8 requantize in the epilogue)";
  if (config_.bias) s += " +bias";
  if (config_.relu) s += " +relu";
  if (config_.accumulate) s += " +residual";
  return s;
}

}  // namespace lowp::cuda
