// The op registry's consistency: whatever a backend lowers has a schema and a reference kernel
// (no unreachable entries; CPU and CUDA tables), every schema has a reference kernel, and the int8
// roles that the quantization passes read from the schemas are ones the CPU backend runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cpu/program_builder.h"
#include "lowp/op_schema.h"
#include "reference/reference_kernels.h"
#ifdef LOWP_TEST_CUDA_RUNTIME
#include "backends/cuda/program_lowering.h"
#endif

namespace lowp {
namespace {

TEST(OpRegistry, EveryCpuLoweringHasASchemaAndAReferenceKernel) {
  const std::vector<std::string> ops = cpu::lowered_op_types();
  ASSERT_FALSE(ops.empty());
  for (const std::string& op : ops) {
    EXPECT_NE(find_op_schema(op), nullptr) << op << ": lowered by the CPU backend, no schema";
    EXPECT_NE(reference::find_kernel(op), nullptr) << op << ": lowered, no reference kernel";
  }
}

#ifdef LOWP_TEST_CUDA_RUNTIME
TEST(OpRegistry, EveryCudaOpHasASchemaAndAReferenceKernel) {
  const std::vector<std::string> ops = cuda::cuda_op_types();
  ASSERT_FALSE(ops.empty());
  for (const std::string& op : ops) {
    EXPECT_NE(find_op_schema(op), nullptr) << op << ": in the CUDA op table, no schema";
    EXPECT_NE(reference::find_kernel(op), nullptr) << op << ": in the CUDA table, no kernel";
    EXPECT_EQ(std::count(ops.begin(), ops.end(), op), 1) << op << ": listed twice";
  }
}
#endif

TEST(OpRegistry, EverySchemaHasAReferenceKernel) {
  for (const std::string& op : supported_op_types()) {
    EXPECT_NE(reference::find_kernel(op), nullptr) << op << ": a schema and no reference kernel";
  }
}

TEST(OpRegistry, Int8RolesAreOnesTheCpuBackendRuns) {
  const std::vector<std::string> int8 = cpu::int8_lowered_op_types();
  int compute = 0, pass_through = 0;
  for (const std::string& op : supported_op_types()) {
    const OpSchema& s = *find_op_schema(op);
    if (s.int8 == Int8Role::kNone) {
      EXPECT_EQ(s.int8_activation_inputs, 0u) << op;
      continue;
    }
    EXPECT_NE(s.int8_activation_inputs & 1u, 0u) << op << ": input 0 is always an activation";
    EXPECT_LE(input_indices(s.int8_activation_inputs).back(), static_cast<size_t>(s.max_inputs))
        << op;
    if (s.int8 == Int8Role::kCompute) {
      ++compute;
      EXPECT_NE(std::find(int8.begin(), int8.end(), op), int8.end())
          << op << ": an int8 compute role and no int8 CPU lowering";
    } else {
      ++pass_through;
    }
  }
  EXPECT_EQ(compute, 5);       // Conv, Gemm, AveragePool, GlobalAveragePool, Add
  EXPECT_EQ(pass_through, 3);  // MaxPool, Flatten, Reshape
}

}  // namespace
}  // namespace lowp
