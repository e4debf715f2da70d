// The fuzz harness in the ordinary test run (built with gcc, no libFuzzer): every file that ever
// crashed a fuzzer (fuzz/regressions/<target>/) and every hand-made seed (fuzz/seeds/<target>/)
// replays through its entry point, and the structure-aware ONNX mutator's models are refused or
// run, never crash. scripts/fuzz.sh runs the libFuzzer targets themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz/fuzz_inputs.h"
#include "fuzz/onnx_mutator.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

namespace lowp::testing {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Replays every file of fuzz/regressions/<target>/.
void replay_regressions() {
  for (const fuzz::Target& target : fuzz::targets()) {
    const fs::path folder = fs::path(source_dir()) / "fuzz/regressions" / std::string(target.name);
    if (!fs::exists(folder)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.is_regular_file() && entry.path().filename() != "README.md")
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      SCOPED_TRACE(file.string());
      const std::vector<uint8_t> bytes = read_bytes(file);
      EXPECT_NO_THROW(target.run(bytes));
    }
  }
}

TEST(FuzzRegressions, EveryCrashFileReplaysWithoutCrashing) { replay_regressions(); }

// The seeds are valid files: each is read (models and plans compile and run).
TEST(FuzzSeeds, EverySeedIsAccepted) {
  for (const fuzz::Target& target : fuzz::targets()) {
    const fs::path folder = fs::path(source_dir()) / "fuzz" / "seeds" / std::string(target.name);
    if (!fs::exists(folder)) continue;
    for (const auto& entry : fs::directory_iterator(folder)) {
      SCOPED_TRACE(entry.path().string());
      EXPECT_NE(target.run(read_bytes(entry.path())), fuzz::Outcome::kRefused);
    }
  }
}

onnx::ModelProto static_conv_model() {
  onnx::ModelProto m = small_conv_model();
  for (auto* list : {m.mutable_graph()->mutable_input(), m.mutable_graph()->mutable_output()}) {
    auto* dim =
        list->Mutable(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
    dim->set_dim_value(1);
  }
  return m;
}

// x[1,4] -> QuantizeLinear(scale, u8 zero point) -> DequantizeLinear -> Relu -> y: quantization
// parameters as initializers, for the mutator's scales and zero points.
onnx::ModelProto qdq_model() {
  onnx::ModelProto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1, 4});
  add_io(m.mutable_graph()->add_output(), "y", {1, 4});
  add_initializer(m, "scale", {}, {0.05f});
  auto* zp = m.mutable_graph()->add_initializer();
  zp->set_name("zp");
  zp->set_data_type(onnx::TensorProto_DataType_UINT8);
  zp->set_raw_data(std::string(1, '\x80'));
  add_node(m, "QuantizeLinear", "q", {"x", "scale", "zp"}, {"xq"});
  add_node(m, "DequantizeLinear", "dq", {"xq", "scale", "zp"}, {"xd"});
  add_node(m, "Relu", "relu", {"xd"}, {"y"});
  return m;
}

// Mutation chains from three small models: each mutated model goes through the ONNX entry point
// (import, compile at a precision the bytes choose, a run when small), which must either refuse
// it with lowp::Error or run it.
TEST(OnnxMutator, MutatedModelsAreRefusedOrRunNeverCrash) {
  std::vector<onnx::ModelProto> models{static_conv_model(), qdq_model(),
                                       shape_subgraph_reshape_model({2, 3, 4})};
  add_io(models[2].mutable_graph()->add_output(), "y", {2, 12});
  add_node(models[2], "Relu", "relu", {"r"}, {"y"});
  int changed = 0, total = 0, ran = 0;
  for (size_t m = 0; m < models.size(); ++m) {
    const std::string original = models[m].SerializeAsString();
    std::vector<uint8_t> bytes(original.begin(), original.end());
    for (unsigned seed = 0; seed < 150; ++seed) {
      if (seed % 4 == 0) bytes.assign(original.begin(), original.end());  // restart the chain
      std::vector<uint8_t> buffer = bytes;
      buffer.resize(bytes.size() * 2 + 4096);
      const size_t size = fuzz::mutate_onnx_model(buffer.data(), bytes.size(), buffer.size(),
                                                  seed * 7919 + static_cast<unsigned>(m));
      if (size == 0) continue;
      buffer.resize(size);
      changed += buffer != bytes;
      ++total;
      bytes = buffer;
      SCOPED_TRACE("model " + std::to_string(m) + ", seed " + std::to_string(seed));
      fuzz::Outcome outcome = fuzz::Outcome::kRefused;
      EXPECT_NO_THROW(outcome = fuzz::onnx_model(bytes));
      ran += outcome == fuzz::Outcome::kRan;
    }
  }
  EXPECT_GT(total, 400);
  EXPECT_GT(changed, total * 8 / 10);  // a mutation that changes nothing is rare
  EXPECT_GT(ran, total / 10);          // many stay valid enough to compile and run
  std::cout << total << " mutated models: " << ran << " compiled and ran\n";
}

TEST(OnnxMutator, RefusesBytesThatAreNotAModel) {
  std::vector<uint8_t> bytes{0xff, 0xff, 0xff, 0x01};
  EXPECT_EQ(fuzz::mutate_onnx_model(bytes.data(), bytes.size(), bytes.size(), 1), 0u);
}

}  // namespace
}  // namespace lowp::testing
