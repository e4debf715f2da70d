// Host emulation of the cuBLASLt functions the CUDA backend calls. cublasLtMatmul is a plain host
// GEMM that does what the descriptors say, read as cuBLASLt documents them, independently of how
// lowp means to use them, so a wrong mapping gives wrong numbers:
//   D = epilogue(alpha * op(A) * op(B) + beta * C), column-major with leading dimensions,
//   op() from TRANSA / TRANSB, bias (one value per row of D, of D's type unless BIAS_DATA_TYPE says
//   otherwise) added after beta * C, then ReLU.
// Supported: f32 (compute 32F or 32F_FAST_TF32, which rounds A and B to TF32), f16 inputs with
// f16 or f32 C / D (compute 32F), s8 x s8 -> s32 (compute and scale 32I; no epilogue), alpha / beta
// in host memory; and s8 x s8 -> s8 (compute 32I, scale 32F) with alpha a device vector (one per
// row of D: pointer modes ALPHA_DEVICE_VECTOR_BETA_ZERO / _BETA_HOST), C s8, bias f32 by default
// (IMMA with an s8 C takes the bias in the scale type), ReLU, then D = round to nearest even and
// saturate to [-128, 127] (assumed: cuBLASLt does not document the rounding). What real cuBLASLt
// rejects is rejected: int8 needs TRANSA = T, TRANSB = N and lda, ldb, ldc multiples of 4;
// operands must meet the alignment the preference promised the heuristic; the workspace must be
// as large as the algorithm asked for.
// The heuristic offers up to four "algorithms" with different workspace needs and emulated speeds
// (cudaEventElapsedTime sees the difference), so tactic timing has a real choice to make; problems
// above 16M multiply-adds get one (real cuBLASLt's count varies too), to keep the emulation fast.
#include <cublasLt.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "lowp/dtype.h"
#include "tests/cuda_emulation/emulated_stream.h"

struct cublasLtContext {
  int unused = 0;
};

namespace {

namespace emu = lowp::cuda_emulation;

// A refused call: says why on stderr (real cuBLASLt only returns the status).
cublasStatus_t reject(cublasStatus_t status, const std::string& why) {
  std::fprintf(stderr, "lowp CUDA emulation: cuBLASLt refuses: %s\n", why.c_str());
  return status;
}

struct MatmulDesc {
  int32_t compute = CUBLAS_COMPUTE_32F;
  int32_t scale = CUDA_R_32F;
  int32_t pointer_mode = CUBLASLT_POINTER_MODE_HOST;
  int32_t transa = CUBLAS_OP_N, transb = CUBLAS_OP_N, transc = CUBLAS_OP_N;
  uint32_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void* bias = nullptr;
  int32_t bias_type = -1;  // -1: D's type
};

struct Layout {
  int32_t type = CUDA_R_32F;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
};

struct Preference {
  uint64_t max_workspace = 0;
  uint32_t alignment[4] = {256, 256, 256, 256};  // A, B, C, D
};

// The candidates the heuristic offers, best guess first: id, workspace, relative emulated time.
struct Candidate {
  int id;
  size_t workspace;
  double speed;
};
constexpr Candidate kCandidates[] = {
    {11, 0, 1.3}, {23, size_t{1} << 20, 0.8}, {5, size_t{4} << 20, 1.0}, {42, 256 << 10, 0.9}};

constexpr double kTimedProblemMacs = 16.0 * (1 << 20);

// cublasLtMatmulAlgo_t's data: what Matmul checks it against.
enum AlgoField { kMagic, kId, kWorkspace, kAlignA, kAlignB, kAlignC, kAlignD, kSpeedPermille };
constexpr uint64_t kAlgoMagic = 0x6c6f77704c74ull;

std::mutex mutex;
std::set<const void*>& live() {  // handles and descriptors
  static auto* s = new std::set<const void*>;
  return *s;
}

template <typename T>
bool is_live(T* p) {
  std::lock_guard<std::mutex> lock(mutex);
  return p && live().count(static_cast<const void*>(p));
}

template <typename T>
void add_live(T* p) {
  std::lock_guard<std::mutex> lock(mutex);
  live().insert(static_cast<const void*>(p));
}

template <typename T>
bool remove_live(T* p) {
  std::lock_guard<std::mutex> lock(mutex);
  return live().erase(static_cast<const void*>(p)) > 0;
}

MatmulDesc* desc_of(cublasLtMatmulDesc_t d) { return reinterpret_cast<MatmulDesc*>(d); }
Layout* layout_of(cublasLtMatrixLayout_t l) { return reinterpret_cast<Layout*>(l); }
Preference* pref_of(cublasLtMatmulPreference_t p) { return reinterpret_cast<Preference*>(p); }

size_t type_bytes(int32_t t) {
  switch (t) {
    case CUDA_R_32F:
    case CUDA_R_32I:
      return 4;
    case CUDA_R_16F:
      return 2;
    case CUDA_R_8I:
      return 1;
    default:
      return 0;
  }
}

// The problem's dims: D is m x n, op(A) m x k, op(B) k x n.
struct Problem {
  MatmulDesc desc;
  Layout a, b, c, d;
  int64_t m = 0, n = 0, k = 0;
  bool int8 = false;
  bool requantize = false;  // s8 x s8 -> s8 with a device alpha vector
  bool tf32 = false;
  int32_t bias_type = CUDA_R_32F;
};

// Checks a matmul configuration as cuBLASLt would; fills `p`.
cublasStatus_t check_problem(cublasLtMatmulDesc_t desc, cublasLtMatrixLayout_t a,
                             cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c,
                             cublasLtMatrixLayout_t d, Problem* p) {
  if (!is_live(desc) || !is_live(a) || !is_live(b) || !is_live(c) || !is_live(d)) {
    return reject(CUBLAS_STATUS_INVALID_VALUE, "unknown or destroyed descriptor");
  }
  p->desc = *desc_of(desc);
  p->a = *layout_of(a);
  p->b = *layout_of(b);
  p->c = *layout_of(c);
  p->d = *layout_of(d);
  const MatmulDesc& m = p->desc;
  const bool vector_alpha = m.pointer_mode == CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO ||
                            m.pointer_mode == CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST;
  if ((m.pointer_mode != CUBLASLT_POINTER_MODE_HOST && !vector_alpha) || m.transc != CUBLAS_OP_N) {
    return reject(CUBLAS_STATUS_NOT_SUPPORTED,
                  "device scalar pointer modes or transposed C (not emulated)");
  }
  for (int32_t t : {m.transa, m.transb}) {
    if (t != CUBLAS_OP_N && t != CUBLAS_OP_T)
      return reject(CUBLAS_STATUS_NOT_SUPPORTED, "TRANSA / TRANSB other than N or T");
  }
  p->m = static_cast<int64_t>(p->d.rows);
  p->n = static_cast<int64_t>(p->d.cols);
  const bool ta = m.transa == CUBLAS_OP_T, tb = m.transb == CUBLAS_OP_T;
  const uint64_t a_m = ta ? p->a.cols : p->a.rows, a_k = ta ? p->a.rows : p->a.cols;
  const uint64_t b_k = tb ? p->b.cols : p->b.rows, b_n = tb ? p->b.rows : p->b.cols;
  if (a_m != p->d.rows || b_n != p->d.cols || a_k != b_k || p->c.rows != p->d.rows ||
      p->c.cols != p->d.cols || p->c.type != p->d.type) {
    return reject(CUBLAS_STATUS_INVALID_VALUE, "A, B, C and D dims do not fit together");
  }
  p->k = static_cast<int64_t>(a_k);
  for (const Layout* l : {&p->a, &p->b, &p->c, &p->d}) {
    if (l->ld < std::max<int64_t>(1, static_cast<int64_t>(l->rows))) {
      return reject(CUBLAS_STATUS_INVALID_VALUE, "leading dimension below the rows");
    }
  }
  const int32_t at = p->a.type, bt = p->b.type, dt = p->d.type;
  const int32_t compute = m.compute;
  bool supported = false;
  if (compute == CUBLAS_COMPUTE_32F || compute == CUBLAS_COMPUTE_32F_PEDANTIC) {
    supported = m.scale == CUDA_R_32F &&
                ((at == CUDA_R_32F && bt == CUDA_R_32F && dt == CUDA_R_32F) ||
                 (at == CUDA_R_16F && bt == CUDA_R_16F && (dt == CUDA_R_16F || dt == CUDA_R_32F)));
  } else if (compute == CUBLAS_COMPUTE_32F_FAST_TF32) {
    supported = m.scale == CUDA_R_32F && at == CUDA_R_32F && bt == CUDA_R_32F && dt == CUDA_R_32F;
    p->tf32 = true;
  } else if (compute == CUBLAS_COMPUTE_32I || compute == CUBLAS_COMPUTE_32I_PEDANTIC) {
    const bool s8_in = at == CUDA_R_8I && bt == CUDA_R_8I;
    p->requantize = s8_in && m.scale == CUDA_R_32F && dt == CUDA_R_8I;
    supported = (s8_in && m.scale == CUDA_R_32I && dt == CUDA_R_32I) || p->requantize;
    p->int8 = true;
  }
  if (!supported)
    return reject(CUBLAS_STATUS_NOT_SUPPORTED, "compute / scale / A B C D types not supported");
  if (p->requantize && !emu::int8_requantize_supported()) {
    return reject(CUBLAS_STATUS_NOT_SUPPORTED, "s8 -> s8 switched off by the test");
  }
  if (vector_alpha && !p->requantize) {
    return reject(CUBLAS_STATUS_NOT_SUPPORTED, "alpha vector outside s8 -> s8 IMMA (not emulated)");
  }
  if (p->int8) {
    // IMMA in the regular column-major order: "TN" only, leading dimensions multiples of 4.
    if (!ta || tb || p->a.ld % 4 || p->b.ld % 4 || p->c.ld % 4 || p->d.ld % 4) {
      return reject(CUBLAS_STATUS_NOT_SUPPORTED, "int8 needs TRANSA = T, TRANSB = N, ld % 4 == 0");
    }
    if (!p->requantize && m.epilogue != CUBLASLT_EPILOGUE_DEFAULT)
      return reject(CUBLAS_STATUS_NOT_SUPPORTED, "int8 with s32 output and an epilogue");
  }
  switch (m.epilogue) {
    case CUBLASLT_EPILOGUE_DEFAULT:
    case CUBLASLT_EPILOGUE_RELU:
      break;
    case CUBLASLT_EPILOGUE_BIAS:
    case CUBLASLT_EPILOGUE_RELU_BIAS:
      if (!m.bias)
        return reject(CUBLAS_STATUS_INVALID_VALUE, "bias epilogue without a bias pointer");
      break;
    default:
      return reject(CUBLAS_STATUS_NOT_SUPPORTED, "epilogue not emulated");
  }
  p->bias_type = m.bias_type != -1 ? m.bias_type : p->requantize ? m.scale : dt;
  const bool uses_bias =
      m.epilogue == CUBLASLT_EPILOGUE_BIAS || m.epilogue == CUBLASLT_EPILOGUE_RELU_BIAS;
  if (uses_bias && p->bias_type != CUDA_R_32F && p->bias_type != CUDA_R_16F) {
    return reject(CUBLAS_STATUS_NOT_SUPPORTED, "bias type");
  }
  return CUBLAS_STATUS_SUCCESS;
}

float load(const void* base, int32_t type, int64_t i) {
  switch (type) {
    case CUDA_R_32F:
      return static_cast<const float*>(base)[i];
    case CUDA_R_16F:
      return lowp::half_to_float(static_cast<const uint16_t*>(base)[i]);
    case CUDA_R_32I:
      return static_cast<float>(static_cast<const int32_t*>(base)[i]);
    default:
      return static_cast<float>(static_cast<const int8_t*>(base)[i]);
  }
}

// op(X) as rows of length k: element (r, kk) of op(X) (r < rows of op(X)).
// For A (m x k): transposed storage when TRANSA = T. For B (k x n) the rows are op(B)'s columns.
template <typename T, typename Load>
std::vector<T> pack_rows(int64_t rows, int64_t k, Load element) {
  std::vector<T> out(static_cast<size_t>(rows * k));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t kk = 0; kk < k; ++kk) out[static_cast<size_t>(r * k + kk)] = element(r, kk);
  }
  return out;
}

float dot(const float* a, const float* b, int64_t k) {
  float acc[8] = {};
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
    for (int l = 0; l < 8; ++l) acc[l] += a[p + l] * b[p + l];
  }
  float tail = 0.f;
  for (; p < k; ++p) tail += a[p] * b[p];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

int32_t dot(const int16_t* a, const int16_t* b, int64_t k) {
  int32_t acc[8] = {};
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
    for (int l = 0; l < 8; ++l) acc[l] += int32_t{a[p + l]} * int32_t{b[p + l]};
  }
  int32_t sum = 0;
  for (; p < k; ++p) sum += int32_t{a[p]} * int32_t{b[p]};
  for (int32_t v : acc) sum += v;
  return sum;
}

// The GEMM itself over host storage.
struct Operands {
  const void* a;
  const void* b;
  const void* c;  // null when beta == 0
  void* d;
  const void* bias;
  const float* alpha_vector;  // requantizing int8 with a vector alpha: one per row of D
  float requantize_alpha;     // requantizing int8 with a host alpha (POINTER_MODE_HOST)
  float requantize_beta;      // requantizing int8: beta (f32, from the host)
};

template <typename T, typename Acc, typename Scalar>
void gemm(const Problem& p, const Operands& o, Scalar alpha, Scalar beta) {
  const bool ta = p.desc.transa == CUBLAS_OP_T, tb = p.desc.transb == CUBLAS_OP_T;
  const int64_t m = p.m, n = p.n, k = p.k;
  auto in = [&](const void* base, int32_t type, int64_t i) -> T {
    const float v = load(base, type, i);
    if constexpr (std::is_same_v<T, float>) return p.tf32 ? emu::round_to_tf32(v) : v;
    return static_cast<T>(v);
  };
  // Rows of op(A) (m of them) and columns of op(B) (n of them), each k long.
  const std::vector<T> a = pack_rows<T>(m, k, [&](int64_t i, int64_t kk) {
    return in(o.a, p.a.type, ta ? kk + i * p.a.ld : i + kk * p.a.ld);
  });
  const std::vector<T> b = pack_rows<T>(n, k, [&](int64_t j, int64_t kk) {
    return in(o.b, p.b.type, tb ? j + kk * p.b.ld : kk + j * p.b.ld);
  });
  const uint32_t epi = p.desc.epilogue;
  const bool relu = epi == CUBLASLT_EPILOGUE_RELU || epi == CUBLASLT_EPILOGUE_RELU_BIAS;
  const bool bias = epi == CUBLASLT_EPILOGUE_BIAS || epi == CUBLASLT_EPILOGUE_RELU_BIAS;
  constexpr int64_t kBlock = 16;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t jb = 0; jb < n; jb += kBlock) {
    const int64_t j_end = std::min(n, jb + kBlock);
    for (int64_t i = 0; i < m; ++i) {
      const T* ai = &a[static_cast<size_t>(i * k)];
      for (int64_t j = jb; j < j_end; ++j) {
        const Acc acc = dot(ai, &b[static_cast<size_t>(j * k)], k);
        const int64_t ci = i + j * p.c.ld, di = i + j * p.d.ld;
        if constexpr (std::is_same_v<Acc, int32_t>) {
          if (p.requantize) {
            const float a = o.alpha_vector ? o.alpha_vector[i] : o.requantize_alpha;
            float v = a * static_cast<float>(acc);
            if (o.c) v += o.requantize_beta * load(o.c, p.c.type, ci);
            if (bias) v += load(o.bias, p.bias_type, i);
            if (relu) v = std::max(v, 0.f);
            v = std::min(127.f, std::max(-128.f, std::nearbyint(v)));  // NaN: not produced here
            static_cast<int8_t*>(o.d)[di] = static_cast<int8_t>(v);
            continue;
          }
          int32_t v =
              static_cast<int32_t>(static_cast<uint32_t>(alpha) * static_cast<uint32_t>(acc));
          if (o.c) v += beta * static_cast<const int32_t*>(o.c)[ci];
          static_cast<int32_t*>(o.d)[di] = v;
        } else {
          float v = alpha * acc;
          if (o.c) v += beta * load(o.c, p.c.type, ci);
          if (bias) v += load(o.bias, p.bias_type, i);
          if (relu) v = std::max(v, 0.f);
          if (p.d.type == CUDA_R_16F) {
            static_cast<uint16_t*>(o.d)[di] = lowp::float_to_half(v);
          } else {
            static_cast<float*>(o.d)[di] = v;
          }
        }
      }
    }
  }
}

bool same_layout(const Layout& a, const Layout& b) {
  return a.type == b.type && a.rows == b.rows && a.cols == b.cols && a.ld == b.ld;
}

// Bytes a column-major rows x cols matrix with leading dimension ld spans.
size_t span_bytes(const Layout& l) {
  if (l.rows == 0 || l.cols == 0) return 0;
  return (static_cast<size_t>(l.ld) * (l.cols - 1) + l.rows) * type_bytes(l.type);
}

bool aligned(const void* p, uint64_t alignment) {
  return alignment == 0 || reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

}  // namespace

extern "C" {

cublasStatus_t cublasLtCreate(cublasLtHandle_t* handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cublasLtContext;
  add_live(*handle);
  emu::add_to_counter(&emu::Counters::live_lt_handles);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtDestroy(cublasLtHandle_t handle) {
  if (!remove_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  emu::add_to_counter(&emu::Counters::live_lt_handles, -1);
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasLtGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    default:
      return "CUBLAS_STATUS_UNKNOWN";
  }
}

const char* cublasLtGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "the library was not initialized (lowp emulation: unknown or destroyed handle)";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "an invalid value was used as an argument";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "the functionality requested is not supported";
    default:
      return "an error occurred (lowp CUDA emulation)";
  }
}

cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t* desc, cublasComputeType_t compute,
                                        cudaDataType_t scale) {
  if (!desc) return CUBLAS_STATUS_INVALID_VALUE;
  auto* d = new MatmulDesc;
  d->compute = compute;
  d->scale = scale;
  *desc = reinterpret_cast<cublasLtMatmulDesc_t>(d);
  add_live(*desc);
  emu::add_to_counter(&emu::Counters::live_lt_objects);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t desc) {
  if (!remove_live(desc)) return CUBLAS_STATUS_INVALID_VALUE;
  delete desc_of(desc);
  emu::add_to_counter(&emu::Counters::live_lt_objects, -1);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t desc,
                                              cublasLtMatmulDescAttributes_t attr, const void* buf,
                                              size_t size) {
  if (!is_live(desc) || !buf) return CUBLAS_STATUS_INVALID_VALUE;
  MatmulDesc& d = *desc_of(desc);
  auto set = [&](auto& field) {
    if (size != sizeof(field)) return CUBLAS_STATUS_INVALID_VALUE;
    std::memcpy(&field, buf, size);
    return CUBLAS_STATUS_SUCCESS;
  };
  switch (attr) {
    case CUBLASLT_MATMUL_DESC_COMPUTE_TYPE:
      return set(d.compute);
    case CUBLASLT_MATMUL_DESC_SCALE_TYPE:
      return set(d.scale);
    case CUBLASLT_MATMUL_DESC_POINTER_MODE:
      return set(d.pointer_mode);
    case CUBLASLT_MATMUL_DESC_TRANSA:
      return set(d.transa);
    case CUBLASLT_MATMUL_DESC_TRANSB:
      return set(d.transb);
    case CUBLASLT_MATMUL_DESC_TRANSC:
      return set(d.transc);
    case CUBLASLT_MATMUL_DESC_EPILOGUE:
      return set(d.epilogue);
    case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
      return set(d.bias);
    case CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE:
      return set(d.bias_type);
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;  // not emulated: extend the emulation
  }
}

cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t* layout, cudaDataType type,
                                          uint64_t rows, uint64_t cols, int64_t ld) {
  if (!layout || type_bytes(type) == 0) return CUBLAS_STATUS_INVALID_VALUE;
  auto* l = new Layout;
  l->type = type;
  l->rows = rows;
  l->cols = cols;
  l->ld = ld;
  *layout = reinterpret_cast<cublasLtMatrixLayout_t>(l);
  add_live(*layout);
  emu::add_to_counter(&emu::Counters::live_lt_objects);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t layout) {
  if (!remove_live(layout)) return CUBLAS_STATUS_INVALID_VALUE;
  delete layout_of(layout);
  emu::add_to_counter(&emu::Counters::live_lt_objects, -1);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t* pref) {
  if (!pref) return CUBLAS_STATUS_INVALID_VALUE;
  *pref = reinterpret_cast<cublasLtMatmulPreference_t>(new Preference);
  add_live(*pref);
  emu::add_to_counter(&emu::Counters::live_lt_objects);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t pref) {
  if (!remove_live(pref)) return CUBLAS_STATUS_INVALID_VALUE;
  delete pref_of(pref);
  emu::add_to_counter(&emu::Counters::live_lt_objects, -1);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t pref,
                                                    cublasLtMatmulPreferenceAttributes_t attr,
                                                    const void* buf, size_t size) {
  if (!is_live(pref) || !buf) return CUBLAS_STATUS_INVALID_VALUE;
  Preference& p = *pref_of(pref);
  auto set = [&](auto& field) {
    if (size != sizeof(field)) return CUBLAS_STATUS_INVALID_VALUE;
    std::memcpy(&field, buf, size);
    return CUBLAS_STATUS_SUCCESS;
  };
  switch (attr) {
    case CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES:
      return set(p.max_workspace);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES:
      return set(p.alignment[0]);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES:
      return set(p.alignment[1]);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES:
      return set(p.alignment[2]);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES:
      return set(p.alignment[3]);
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;  // not emulated: extend the emulation
  }
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
                                              cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                              cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
                                              cublasLtMatmulPreference_t pref, int requested,
                                              cublasLtMatmulHeuristicResult_t results[],
                                              int* found) {
  if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!is_live(pref) || requested <= 0 || !results || !found) return CUBLAS_STATUS_INVALID_VALUE;
  emu::add_to_counter(&emu::Counters::algorithm_searches);
  *found = 0;
  Problem p;
  if (cublasStatus_t s = check_problem(desc, a, b, c, d, &p)) return s;
  const Preference& pr = *pref_of(pref);
  // Large problems get one candidate: no tactic timing, which would run each of them six times on
  // the host.
  const int most = double(p.m) * double(p.n) * double(p.k) <= kTimedProblemMacs ? requested : 1;
  for (const Candidate& cand : kCandidates) {
    if (*found == most) break;
    if (cand.workspace > pr.max_workspace) continue;
    cublasLtMatmulHeuristicResult_t& r = results[*found];
    r = cublasLtMatmulHeuristicResult_t{};
    r.algo.data[kMagic] = kAlgoMagic;
    r.algo.data[kId] = static_cast<uint64_t>(cand.id);
    r.algo.data[kWorkspace] = cand.workspace;
    for (int i = 0; i < 4; ++i) r.algo.data[kAlignA + i] = pr.alignment[i];
    r.algo.data[kSpeedPermille] = static_cast<uint64_t>(cand.speed * 1000);
    r.workspaceSize = cand.workspace;
    r.state = CUBLAS_STATUS_SUCCESS;
    r.wavesCount = 1.f;
    ++*found;
  }
  return *found > 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_SUPPORTED;
}

// Accepts an algorithm this emulation's heuristic made (e.g. one stored in a plan) for a problem
// the descriptors allow; reports its workspace.
cublasStatus_t cublasLtMatmulAlgoCheck(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
                                       cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                       cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
                                       const cublasLtMatmulAlgo_t* algo,
                                       cublasLtMatmulHeuristicResult_t* result) {
  if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!algo || !result || algo->data[kMagic] != kAlgoMagic) return CUBLAS_STATUS_INVALID_VALUE;
  Problem p;
  if (cublasStatus_t s = check_problem(desc, a, b, c, d, &p)) return s;
  const cublasLtMatmulAlgo_t copy = *algo;
  *result = cublasLtMatmulHeuristicResult_t{};
  result->algo = copy;
  result->workspaceSize = copy.data[kWorkspace];
  result->state = CUBLAS_STATUS_SUCCESS;
  result->wavesCount = 1.f;
  return CUBLAS_STATUS_SUCCESS;
}

size_t cublasLtGetVersion() { return 130000; }

cublasStatus_t cublasLtMatmulAlgoConfigGetAttribute(const cublasLtMatmulAlgo_t* algo,
                                                    cublasLtMatmulAlgoConfigAttributes_t attr,
                                                    void* buf, size_t size, size_t* written) {
  if (!algo || algo->data[kMagic] != kAlgoMagic) return CUBLAS_STATUS_INVALID_VALUE;
  if (attr != CUBLASLT_ALGO_CONFIG_ID) return CUBLAS_STATUS_NOT_SUPPORTED;
  const auto id = static_cast<int32_t>(algo->data[kId]);
  if (size == 0 && written) {
    *written = sizeof(id);
    return CUBLAS_STATUS_SUCCESS;
  }
  if (!buf || size != sizeof(id)) return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(buf, &id, sizeof(id));
  if (written) *written = sizeof(id);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmul(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc, const void* alpha,
                              const void* a, cublasLtMatrixLayout_t a_layout, const void* b,
                              cublasLtMatrixLayout_t b_layout, const void* beta, const void* c,
                              cublasLtMatrixLayout_t c_layout, void* d,
                              cublasLtMatrixLayout_t d_layout, const cublasLtMatmulAlgo_t* algo,
                              void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  const emu::LibraryCall library;
  if (emu::take_fault(emu::Fault::kMatmul)) {
    return reject(CUBLAS_STATUS_EXECUTION_FAILED, "injected failure");
  }
  if (!alpha || !beta || !a || !b || !d)
    return reject(CUBLAS_STATUS_INVALID_VALUE, "null alpha, beta, A, B or D");
  Problem p;
  if (cublasStatus_t s = check_problem(desc, a_layout, b_layout, c_layout, d_layout, &p)) return s;
  uint64_t need = 0, align[4] = {256, 256, 256, 256};
  double speed = 1.0;
  int id = 0;
  if (algo) {
    if (algo->data[kMagic] != kAlgoMagic)
      return reject(CUBLAS_STATUS_INVALID_VALUE, "algorithm not from the heuristic");
    need = algo->data[kWorkspace];
    for (int i = 0; i < 4; ++i) align[i] = algo->data[kAlignA + i];
    speed = static_cast<double>(algo->data[kSpeedPermille]) / 1000.0;
    id = static_cast<int>(algo->data[kId]);
  }
  if (workspace_bytes < need || (need > 0 && !workspace))
    return reject(CUBLAS_STATUS_INVALID_VALUE, "workspace smaller than the algorithm needs (" +
                                                   std::to_string(workspace_bytes) + " < " +
                                                   std::to_string(need) + ")");
  // Host scalars, read now (a captured graph keeps the values of capture time). A requantizing
  // int8 GEMM's alpha is a device vector, read when the work runs.
  float f_alpha = 0.f, f_beta = 0.f;
  int32_t i_alpha = 0, i_beta = 0;
  const bool vector_alpha = p.desc.pointer_mode != CUBLASLT_POINTER_MODE_HOST;
  if (p.requantize && vector_alpha) {
    if (p.desc.pointer_mode == CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST) {
      std::memcpy(&f_beta, beta, 4);
    }
  } else if (p.int8 && !p.requantize) {
    std::memcpy(&i_alpha, alpha, 4);
    std::memcpy(&i_beta, beta, 4);
  } else {
    std::memcpy(&f_alpha, alpha, 4);
    std::memcpy(&f_beta, beta, 4);
  }
  const bool reads_c = p.int8 && !p.requantize ? i_beta != 0 : f_beta != 0.f;
  if (reads_c && !c) return reject(CUBLAS_STATUS_INVALID_VALUE, "beta != 0 with a null C");
  if (c == d && !same_layout(p.c, p.d))
    return reject(CUBLAS_STATUS_INVALID_VALUE, "C == D with different layouts");
  if (!aligned(a, align[0]) || !aligned(b, align[1]) || (reads_c && !aligned(c, align[2])) ||
      !aligned(d, align[3]) || (p.desc.bias && !aligned(p.desc.bias, type_bytes(p.bias_type)))) {
    return reject(
        CUBLAS_STATUS_INVALID_VALUE,
        "an operand is less aligned than the preference promised");  // below what the algorithm was
                                                                     // chosen for
  }
  const uint32_t epi = p.desc.epilogue;
  const bool uses_bias = epi == CUBLASLT_EPILOGUE_BIAS || epi == CUBLASLT_EPILOGUE_RELU_BIAS;
  const double cost = 1e-3 + 1e-9 * double(p.m) * double(p.n) * double(p.k) * speed;
  const cudaError_t e = emu::enqueue(
      stream, "cublasLtMatmul algo " + std::to_string(id),
      [=] {
        Operands o;
        o.a = emu::device_span(a, span_bytes(p.a), "matrix A");
        o.b = emu::device_span(b, span_bytes(p.b), "matrix B");
        o.c = reads_c ? emu::device_span(c, span_bytes(p.c), "matrix C") : nullptr;
        o.d = emu::device_span(d, span_bytes(p.d), "matrix D");
        o.bias = uses_bias ? emu::device_span(p.desc.bias, p.m * type_bytes(p.bias_type), "bias")
                           : nullptr;
        o.alpha_vector = vector_alpha ? static_cast<const float*>(emu::device_span(
                                            alpha, p.m * sizeof(float), "alpha vector"))
                                      : nullptr;
        o.requantize_alpha = f_alpha;
        o.requantize_beta = f_beta;
        if (need > 0) {
          // Algorithms scribble on their workspace: a workspace shared with live data shows.
          std::memset(emu::device_span(workspace, need, "workspace"), 0x7f, need);
        }
        if (p.int8) {
          gemm<int16_t, int32_t>(p, o, i_alpha, i_beta);
        } else {
          gemm<float, float>(p, o, f_alpha, f_beta);
        }
        emu::add_to_counter(&emu::Counters::matmuls);
      },
      cost);
  return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

}  // extern "C"
