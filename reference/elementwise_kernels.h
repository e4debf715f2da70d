// Internal to the elementwise kernel group: the kernels each file defines; elementwise.cc
// registers them all.
#pragma once

#include <vector>

#include "reference/kernel_args.h"
#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::reference {

// broadcast_arithmetic.cc: Add, Sub, Mul, Div, Sum with numpy broadcasting.
void add_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void sub_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void mul_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void div_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void sum_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);

}  // namespace lowp::reference
