// Reduced-precision casting (fp16 or bf16): marks which nodes compute in the low precision and
// makes the IR say so plainly.
//
// Algorithm (one walk in topological order):
//  1. Each node with a float output is either "low" or fp32. It is fp32 when its OpSchema::fp16
//     policy is kNever (Softmax, BatchNormalization, Cast, ...), when CompileOptions::keep_fp32
//     names it (node name or op type), or (fp16 only) when a measured activation range of one of
//     its outputs exceeds 65504, the largest finite half. Otherwise kAlways ops (Conv, Gemm,
//     MatMul) are low, and kFollowInputs ops are low when every non-constant float input is
//     already low (so element-wise ops, pools and reshapes stay in whatever region feeds them).
//  2. Float graph inputs start low unless keep_io_types (always kept for bf16: callers hold f32).
//  3. Low nodes get their float constant inputs as target-typed constants (converted once and
//     shared by all low consumers), their float outputs retyped to the target dtype.
//  4. Cast nodes (op "Cast", attr "to" = lowp DataType) are inserted on every edge between an fp32
//     and a low value, one per value and direction. A graph output whose dtype must differ from
//     its producer's is renamed ("<name>_fp32" / "<name>_f16"), and the Cast produces the original
//     name, so callers keep binding the same names. A Cast into fp16 from fp32 is preceded by a
//     Clip to +-65504: values past fp16's range saturate instead of becoming inf.
// The result is an ordinary graph: the reference executor runs it as is (f16/bf16 storage, f32
// arithmetic, rounding when each node writes its output) and backends read Value::dtype.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lowp/dtype.h"
#include "lowp/options.h"
#include "passes/pass.h"

namespace lowp {

struct Fp16CastingOptions {
  DataType target = DataType::kF16;    // kF16 or kBF16
  std::vector<std::string> keep_fp32;  // node names or op types that stay fp32
  bool keep_io_types = false;          // fp16: graph I/O stay f32 (bf16 always keeps them)
  std::map<std::string, float> activation_ranges;  // value name -> measured max |x|

  // target from options.precision (kBF16 for bf16, else kF16), keep_fp32, keep_io_types.
  static Fp16CastingOptions from(const CompileOptions& options,
                                 std::map<std::string, float> ranges = {});
};

class Fp16CastingPass : public Pass {
 public:
  explicit Fp16CastingPass(Fp16CastingOptions options) : options_(std::move(options)) {}
  const char* name() const override { return "fp16-casting"; }
  bool run(Graph& graph, PassContext& ctx) const override;

 private:
  Fp16CastingOptions options_;
};

}  // namespace lowp
