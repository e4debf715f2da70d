// ONNX's per-operator node tests (Debian libonnx-testdata, or ONNX's pip package) as test cases:
// listing, op-type filtering, known failures and running one case on a device. Shared by
// tests/onnx_node_test.cc (CPU, and CUDA on a GPU) and the CUDA emulation test.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"
#include "lowp/op_schema.h"
#include "tests/test_util.h"

namespace lowp::testing::node_cases {

namespace fs = std::filesystem;

inline std::map<std::string, std::string> known_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(source_dir() + "/tests/onnx_node_known_failures.txt");
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
inline std::set<std::string> op_types(const fs::path& model_path) {
  std::ifstream in(model_path, std::ios::binary);
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) return {};
  std::set<std::string> ops;
  for (const auto& n : model.graph().node())
    ops.insert(n.domain().empty() ? n.op_type() : n.domain() + "::" + n.op_type());
  return ops;
}

inline bool all_supported(const std::set<std::string>& ops) {
  for (const auto& op : ops) {
    if (op != "Constant" && !find_op_schema(op)) return false;
  }
  return !ops.empty();
}

inline std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
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

inline constexpr const char* kBackendUnsupported = "backend does not support: ";

// Runs one node test; returns an empty string on success, else what went wrong (starting with
// kBackendUnsupported when the device's backend rejected the graph as unsupported).
inline std::string run_case(const fs::path& dir, Device device = Device::kCpu, float atol = 1e-7f) {
  try {
    CompileOptions options;
    options.device = device;
    // Engines whose shapes depend on input values compile per value, i.e. in Session::run: a
    // device backend may reject the graph there too.
    std::shared_ptr<const Engine> engine =
        Engine::compile_onnx((dir / "model.onnx").string(), options);
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
        if (!all_close(outputs[i], expected, 1e-3f, atol, &report)) {
          return data.path().filename().string() + " output " + std::to_string(i) + ": " + report;
        }
      }
    }
    return "";
  } catch (const Error& e) {
    if (device != Device::kCpu && e.code() == ErrorCode::kUnsupported) {
      return kBackendUnsupported + std::string(e.what());
    }
    return std::string("error: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

// Every test case folder under `root`, sorted.
inline std::vector<fs::path> test_dirs(const fs::path& root) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Runs every node test the CPU backend passes on `device` (atol as given); counts what the
// device's backend rejects as unsupported and reports every other difference as a failure.
struct DeviceRun {
  int passed = 0, failed = 0, unsupported = 0;
};
inline DeviceRun run_cpu_passing_cases_on(Device device, float atol) {
  DeviceRun r;
  const fs::path root(onnx_node_tests_dir());
  const auto known = known_failures();
  for (const auto& dir : test_dirs(root)) {
    const std::string name = dir.filename().string();
    if (known.count(name) || !all_supported(op_types(dir / "model.onnx"))) continue;
    if (!run_case(dir).empty()) continue;  // the CPU backend's own failures are reported elsewhere
    const std::string problem = run_case(dir, device, atol);
    if (problem.empty()) {
      ++r.passed;
    } else if (problem.rfind(kBackendUnsupported, 0) == 0) {
      ++r.unsupported;
    } else {
      ++r.failed;
      ADD_FAILURE() << name << " on " << device_name(device) << ": " << problem;
    }
  }
  return r;
}

}  // namespace lowp::testing::node_cases
