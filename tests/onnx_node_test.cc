// Runs ONNX's own per-operator node tests (Debian libonnx-testdata) through the full lowp pipeline:
// import, passes, CPU engine. Every test whose op types are all supported must match ONNX's
// expected outputs (rtol 1e-3, atol 1e-7, as ONNX's backend tests) unless it is listed, with a
// reason, in tests/onnx_node_known_failures.txt. Prints passed / failed / unsupported counts.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"
#include "lowp/op_schema.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace lowp;

namespace {

std::map<std::string, std::string> known_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(lowp::testing::source_dir() + "/tests/onnx_node_known_failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find_first_of(" \t");
    std::string name = line.substr(0, space);
    std::string reason =
        space == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", space));
    out[name] = reason;
  }
  return out;
}

// Op types of a model, or empty when the model cannot be parsed.
std::set<std::string> op_types(const fs::path& model_path) {
  std::ifstream in(model_path, std::ios::binary);
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) return {};
  std::set<std::string> ops;
  for (const auto& n : model.graph().node())
    ops.insert(n.domain().empty() ? n.op_type() : n.domain() + "::" + n.op_type());
  return ops;
}

bool all_supported(const std::set<std::string>& ops) {
  for (const auto& op : ops) {
    if (op != "Constant" && !find_op_schema(op)) return false;
  }
  return !ops.empty();
}

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    auto num = [](const fs::path& p) {
      std::string s = p.stem().string();
      return std::stoi(s.substr(s.find('_') + 1));
    };
    return num(a) < num(b);
  });
  return files;
}

constexpr const char* kBackendUnsupported = "backend does not support: ";

// Runs one node test; returns an empty string on success, else what went wrong (starting with
// kBackendUnsupported when the device's backend rejected the graph as unsupported).
std::string run_case(const fs::path& dir, Device device = Device::kCpu, float atol = 1e-7f) {
  try {
    CompileOptions options;
    options.device = device;
    std::shared_ptr<const Engine> engine;
    try {
      engine = Engine::compile_onnx((dir / "model.onnx").string(), options);
    } catch (const Error& e) {
      if (device != Device::kCpu && e.code() == ErrorCode::kUnsupported) {
        return kBackendUnsupported + std::string(e.what());
      }
      throw;
    }
    auto session = engine->create_session();
    for (const auto& data : fs::directory_iterator(dir)) {
      if (!data.is_directory() || data.path().filename().string().rfind("test_data_set", 0) != 0)
        continue;
      auto input_files = sorted_files(data.path(), "input_");
      auto output_files = sorted_files(data.path(), "output_");
      if (input_files.size() != engine->inputs().size()) {
        return "test has " + std::to_string(input_files.size()) + " inputs, engine " +
               std::to_string(engine->inputs().size());
      }
      std::vector<Tensor> inputs;
      std::vector<TensorBinding> bindings;
      for (size_t i = 0; i < input_files.size(); ++i) {
        inputs.push_back(onnx_frontend::read_tensor_file(input_files[i].string()));
        bindings.push_back({engine->inputs()[i].name, inputs.back()});
      }
      std::vector<Tensor> outputs = session->run(bindings);
      for (size_t i = 0; i < output_files.size() && i < outputs.size(); ++i) {
        Tensor expected = onnx_frontend::read_tensor_file(output_files[i].string());
        if (expected.dtype() != outputs[i].dtype()) {
          return "output " + std::to_string(i) + " dtype " + name_of(outputs[i].dtype()) +
                 ", expected " + name_of(expected.dtype());
        }
        std::string report;
        if (!lowp::testing::all_close(outputs[i], expected, 1e-3f, atol, &report)) {
          return data.path().filename().string() + " output " + std::to_string(i) + ": " + report;
        }
      }
    }
    return "";
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

// Every test case folder under `root`, sorted.
std::vector<fs::path> test_dirs(const fs::path& root) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace

TEST(OnnxNodeTests, SupportedTestsPass) {
  const fs::path root(lowp::testing::onnx_node_tests_dir());
  if (!fs::exists(root)) GTEST_SKIP() << "ONNX node test data not installed at " << root;
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
  if (!fs::exists(root)) GTEST_SKIP() << "ONNX node test data not installed at " << root;
  auto known = known_failures();
  const std::vector<fs::path> dirs = test_dirs(root);
  int passed = 0, failed = 0, cuda_unsupported = 0;
  for (const auto& dir : dirs) {
    const std::string name = dir.filename().string();
    if (known.count(name) || !all_supported(op_types(dir / "model.onnx"))) continue;
    if (!run_case(dir).empty()) continue;  // the CPU backend's failures are reported above
    const std::string problem = run_case(dir, Device::kCuda, 1e-5f);
    if (problem.empty()) {
      ++passed;
      std::cout << "[cuda pass] " << name << "\n";
    } else if (problem.rfind(kBackendUnsupported, 0) == 0) {
      ++cuda_unsupported;
    } else {
      ++failed;
      ADD_FAILURE() << name << " on CUDA: " << problem;
    }
  }
  std::cout << "ONNX node tests on CUDA: " << passed << " passed, " << failed << " failed, "
            << cuda_unsupported << " rejected as unsupported by the CUDA backend\n";
  RecordProperty("cuda_passed", passed);
  RecordProperty("cuda_failed", failed);
}
