// Runs ONNX's own per-operator node tests (Debian libonnx-testdata) through the full lowp pipeline:
// import, passes, CPU engine. Every test whose op types are all supported must match ONNX's
// expected outputs (rtol 1e-3, atol 1e-7, as ONNX's backend tests) unless it is listed, with a
// reason, in tests/onnx_node_known_failures.txt. Prints passed / failed / unsupported counts.
#include <gtest/gtest.h>

#include "tests/onnx_node_cases.h"

using namespace lowp;
using namespace lowp::testing::node_cases;

TEST(OnnxNodeTests, SupportedTestsPass) {
  const fs::path root(lowp::testing::onnx_node_tests_dir());
  ASSERT_TRUE(fs::exists(root)) << "ONNX node test data not installed at " << root
                                << " (Debian package libonnx-testdata, scripts/setup.sh)";
  auto known = known_failures();
  const std::vector<fs::path> dirs = test_dirs(root);
  int passed = 0, failed = 0, known_failed = 0, unsupported = 0, newly_passing = 0;
  for (const auto& dir : dirs) {
    std::string name = dir.filename().string();
    if (!all_supported(op_types(dir / "model.onnx"))) {
      ++unsupported;
      continue;
    }
    std::string problem = run_case(dir);
    bool is_known = known.count(name) != 0;
    if (problem.empty()) {
      ++passed;
      if (is_known) {
        ++newly_passing;
        std::cout << "[now passing, remove from known failures] " << name << "\n";
      }
    } else if (is_known) {
      ++known_failed;
    } else {
      ++failed;
      ADD_FAILURE() << name << ": " << problem;
    }
  }
  std::cout << "ONNX node tests: " << dirs.size() << " total, " << passed << " passed, " << failed
            << " failed, " << known_failed << " known failures, " << unsupported
            << " unsupported (an op type lowp does not implement)\n";
  RecordProperty("passed", passed);
  RecordProperty("failed", failed);
  RecordProperty("known_failures", known_failed);
  RecordProperty("unsupported", unsupported);
}

// The same node tests on the CUDA backend, for every test the CPU backend passes and the CUDA
// backend accepts (it rejects unsupported ops at compile time with kUnsupported). Absolute
// tolerance 1e-5 instead of 1e-7: GPU reductions sum in another order than the reference.
TEST(OnnxNodeTests, CudaSupportedTestsPass) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "CUDA: " << cuda_unavailable_reason();
  const fs::path root(lowp::testing::onnx_node_tests_dir());
  ASSERT_TRUE(fs::exists(root)) << "ONNX node test data not installed at " << root;
  const auto r = run_cpu_passing_cases_on(Device::kCuda, 1e-5f);
  std::cout << "ONNX node tests on CUDA: " << r.passed << " passed, " << r.failed << " failed, "
            << r.unsupported << " rejected as unsupported by the CUDA backend\n";
  RecordProperty("cuda_passed", r.passed);
  RecordProperty("cuda_failed", r.failed);
}
