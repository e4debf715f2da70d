// What the CPU backend can do for each precision on the machine it runs on: the one-line note the
// tools print for reduced-precision plans, and the AVX512-BF16 check bf16 plans need.
#pragma once

#include <string>

#include "lowp/graph.h"
#include "lowp/options.h"

namespace lowp {

// fp16: how the plan runs (in fp32: the oneDNN lowp runs on has no x86 fp16 kernels); bf16 /
// int8: which ISA runs it; else "".
std::string cpu_precision_note(Precision precision);

namespace cpu {

bool graph_uses(const Graph& graph, DataType dtype);
// The oneDNN library's version, "major.minor.patch".
std::string onednn_version();
// True when the CPU reports AVX512-FP16 (CPUID leaf 7 EDX bit 23), whether or not oneDNN uses it.
bool cpu_has_avx512_fp16();
// True when oneDNN can use AVX512-VNNI (vpdpbusd, the int8 dot product) here.
bool cpu_has_vnni();
// True when the graph holds quantized activations or weights (s8 / u8 Values with QuantParams).
bool graph_is_quantized(const Graph& graph);
// True when oneDNN can use AVX512-BF16 (vdpbf16ps) here.
bool cpu_has_bf16();
// Throws lowp::Error(kUnsupported) when `graph` holds bf16 values (or `precision` is bf16) and the
// CPU lacks AVX512-BF16.
void check_bf16_support(const Graph& graph, Precision precision);

}  // namespace cpu
}  // namespace lowp
