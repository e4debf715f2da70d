// Float kernels compute in f32: these read any float tensor (f32, f16, bf16) as f32 values and
// write f32 values back in the output's own float type.
#pragma once

#include <vector>

#include "lowp/tensor.h"

namespace lowp::reference {

inline std::vector<float> load_floats(const Tensor& t) { return t.to_float(); }

// `values` holds out.numel() entries; out is f32, f16 or bf16 (or s8/u8, saturated).
void store_floats(const std::vector<float>& values, Tensor& out);

}  // namespace lowp::reference
