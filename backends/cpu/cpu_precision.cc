#include "backends/cpu/cpu_precision.h"

#include <cpuid.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "lowp/error.h"

namespace lowp {

std::string cpu_precision_note(Precision precision) {
  switch (precision) {
    case Precision::kFp16:
      // The CPU's ISA is not the limit: oneDNN 2.x (Debian's) has no fp16 convolution or matmul
      // kernels on x86 even where AVX512-FP16 exists.
      return "fp16 plan: oneDNN " + cpu::onednn_version() +
             " has no fp16 compute kernels on x86 CPUs (this CPU " +
             (cpu::cpu_has_avx512_fp16() ? "has" : "lacks") +
             " AVX512-FP16); weights are stored in fp16 and upcast at load, compute runs in fp32";
    case Precision::kBf16:
      return cpu::cpu_has_bf16()
                 ? "bf16 plan: convolutions and inner products run on AVX512-BF16 with f32 "
                   "accumulation and f32 bias; graph inputs and outputs stay f32"
                 : "bf16 plan: this CPU has no AVX512-BF16; bf16 plans cannot run here";
    case Precision::kInt8:
      return cpu::cpu_has_vnni()
                 ? "int8 plan: convolutions and inner products run u8 x s8 on AVX512-VNNI with "
                   "s32 accumulation, requantized per output channel; activations stay int8 "
                   "(nhwc) between layers"
                 : "int8 plan: this CPU has no AVX512-VNNI; oneDNN's int8 kernels run without "
                   "it (u8 x s8 via vpmaddubsw), well below the VNNI rate";
    default:
      return "";
  }
}

namespace cpu {

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

bool cpu_has_avx512_fp16() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (edx >> 23) & 1u;  // CPUID.(EAX=7,ECX=0):EDX[23] AVX512_FP16
}

bool cpu_has_bf16() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

bool cpu_has_vnni() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto vnni = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_vnni);
  return (isa & vnni) == vnni;
}

bool graph_is_quantized(const Graph& graph) {
  for (const auto& v : graph.values()) {
    if ((v->dtype == DataType::kS8 || v->dtype == DataType::kU8) && v->quant) return true;
  }
  return false;
}

bool graph_uses(const Graph& graph, DataType dtype) {
  for (const auto& v : graph.values()) {
    if (v->dtype == dtype) return true;
  }
  return false;
}

void check_bf16_support(const Graph& graph, Precision precision) {
  const bool wants = precision == Precision::kBf16 || graph_uses(graph, DataType::kBF16);
  if (wants && !cpu_has_bf16()) {
    throw Error(ErrorCode::kUnsupported,
                "cpu backend: graph '" + graph.name +
                    "' uses bf16, which needs a CPU with AVX512-BF16 (oneDNN avx512_core_bf16); "
                    "this CPU lacks it: compile with precision fp32 or fp16");
  }
}

}  // namespace cpu
}  // namespace lowp
