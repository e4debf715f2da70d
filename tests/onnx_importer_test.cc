// The ONNX frontend: imports real models and refuses bad ones with messages naming file, node,
// op type and opset.
#include "frontends/onnx/onnx_importer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/pass_pipeline.h"
#include "lowp/error.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lowp_importer_test_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Imports `m` from a file and returns the error message (fails the test if no error).
std::string import_error(const onnx::ModelProto& m, const std::string& name, ErrorCode expected) {
  fs::path dir = temp_dir(name);
  std::string path = (dir / "model.onnx").string();
  save_model(m, path);
  try {
    onnx_frontend::import_file(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos)
        << "message must name the file: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "import of " << name << " did not fail";
  return "";
}

}  // namespace

TEST(OnnxImporter, ImportsSmallModelWithSymbolicBatch) {
  fs::path dir = temp_dir("small");
  save_model(small_conv_model(), (dir / "m.onnx").string());
  auto g = onnx_frontend::import_file((dir / "m.onnx").string());
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0]->shape.to_string(), "[Nx2x4x4]");
  EXPECT_EQ(g->outputs[0]->shape.to_string(), "[Nx3]");
  EXPECT_EQ(g->nodes().size(), 4u);
  EXPECT_EQ(g->opset, 13);
}

TEST(OnnxImporter, ImportsResNet18) {
  std::string path = source_dir() + "/models/resnet18_fashion.onnx";
  auto g = onnx_frontend::import_file(path);
  EXPECT_EQ(g->outputs[0]->shape.to_string(), "[Nx10]");
  EXPECT_NEAR(static_cast<double>(g->parameter_count()), 11.18e6, 0.05e6);
}

// A value listed twice among the graph outputs is refused by name (it once came back as zeros).
TEST(OnnxImporter, GraphOutputListedTwice) {
  auto m = small_conv_model();
  add_io(m.mutable_graph()->add_output(), "y", {-1, 3});
  const fs::path path = temp_dir("twice") / "m.onnx";
  save_model(m, path.string());
  try {
    onnx_frontend::import_file(path.string());
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("graph output 'y' is listed twice"), std::string::npos)
        << e.what();
  }
}

TEST(OnnxImporter, MissingFile) {
  try {
    onnx_frontend::import_file("/nonexistent/model.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.onnx"), std::string::npos);
  }
}

TEST(OnnxImporter, TruncatedAndGarbageFiles) {
  fs::path dir = temp_dir("truncated");
  std::string full;
  small_conv_model().SerializeToString(&full);
  for (size_t cut : {full.size() / 2, full.size() - 3, size_t{5}}) {
    std::string path = (dir / ("cut" + std::to_string(cut) + ".onnx")).string();
    std::ofstream(path, std::ios::binary).write(full.data(), static_cast<std::streamsize>(cut));
    try {
      onnx_frontend::import_file(path);
      FAIL() << "truncated at " << cut << " imported";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  std::string garbage = (dir / "garbage.onnx").string();
  std::ofstream(garbage) << "this is not a protobuf \xff\xff\xff\xff";
  EXPECT_THROW(onnx_frontend::import_file(garbage), Error);
}

TEST(OnnxImporter, ListsEveryUnsupportedNode) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1, 4});
  add_io(m.mutable_graph()->add_output(), "z", {1, 4});
  add_node(m, "Hardmax", "hardmax_node", {"x"}, {"y"});
  add_node(m, "Mish", "mish_node", {"y"}, {"z"});
  std::string msg = import_error(m, "unsupported", ErrorCode::kUnsupported);
  EXPECT_NE(msg.find("node 'hardmax_node' (Hardmax, opset 13)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'mish_node' (Mish, opset 13)"), std::string::npos) << msg;
}

TEST(OnnxImporter, DanglingInput) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1, 4});
  add_io(m.mutable_graph()->add_output(), "y", {1, 4});
  add_node(m, "Add", "add_node", {"x", "ghost"}, {"y"});
  std::string msg = import_error(m, "dangling", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'add_node' (Add, opset 13)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ghost"), std::string::npos) << msg;
}

// MatMul's input 2 is lowp's fused bias (a pass makes it); a file may not give one.
TEST(OnnxImporter, MatMulWithThreeInputs) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {2, 4});
  add_io(m.mutable_graph()->add_output(), "y", {2, 3});
  add_initializer(m, "w", {4, 3}, std::vector<float>(12, 0.5f));
  add_initializer(m, "b", {3}, {1.f, 2.f, 3.f});
  add_node(m, "MatMul", "mm_node", {"x", "w", "b"}, {"y"});
  std::string msg = import_error(m, "matmul3", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'mm_node' (MatMul, opset 13)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("MatMul takes at most 2 inputs, the file gives 3"), std::string::npos) << msg;
}

// A Resize-10 without inputs (the opset-10 conversion once read the missing first input; found
// by the ONNX fuzzer, fuzz/regressions/onnx_model/): refused naming the node.
TEST(OnnxImporter, ResizeOpset10WithoutInputs) {
  auto m = make_model(10);
  add_io(m.mutable_graph()->add_input(), "x", {1, 1, 2, 2});
  add_io(m.mutable_graph()->add_output(), "y", {1, 1, 4, 4});
  add_node(m, "Resize", "empty_resize", {}, {"y"});
  std::string msg = import_error(m, "resize10", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'empty_resize' (Resize"), std::string::npos) << msg;
}

// Omitted required inputs and a group that overflows the channel check (both found by the
// fuzzers, fuzz/regressions/): refused naming the node, nothing read through a missing input.
TEST(OnnxImporter, OmittedRequiredInputAndOverflowingGroup) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1, 4});
  add_io(m.mutable_graph()->add_output(), "y", {1, 4});
  add_initializer(m, "scale", {}, {0.1f});
  add_node(m, "DequantizeLinear", "dq", {"", "scale"}, {"y"});
  std::string msg = import_error(m, "omitted_input", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'dq' (DequantizeLinear"), std::string::npos) << msg;
  EXPECT_NE(msg.find("required input 0 is omitted"), std::string::npos) << msg;

  auto c = make_model(13);
  add_io(c.mutable_graph()->add_input(), "x", {1, 2, 4, 4});
  add_io(c.mutable_graph()->add_output(), "y", {1, 2, 4, 4});
  add_initializer(c, "w", {2, 4, 1, 1}, std::vector<float>(8, 0.5f));
  auto* conv = add_node(c, "Conv", "conv", {"x", "w"}, {"y"});
  auto* group = conv->add_attribute();
  group->set_name("group");
  group->set_type(onnx::AttributeProto_AttributeType_INT);
  group->set_i(int64_t{1} << 62);
  msg = import_error(c, "huge_group", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'conv' (Conv"), std::string::npos) << msg;
}

// ReduceMean's axes became an input at opset 18; before, an axes input is not ONNX (it was taken).
TEST(OnnxImporter, ReduceMeanAxesInputBeforeOpset18) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {2, 4});
  add_io(m.mutable_graph()->add_output(), "y", {2, 1});
  m.mutable_graph()->add_initializer()->CopyFrom([] {
    onnx::TensorProto t;
    t.set_name("axes");
    t.set_data_type(onnx::TensorProto_DataType_INT64);
    t.add_dims(1);
    t.add_int64_data(1);
    return t;
  }());
  add_node(m, "ReduceMean", "mean_node", {"x", "axes"}, {"y"});
  std::string msg = import_error(m, "reducemean_input", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'mean_node' (ReduceMean, opset 13)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("axes as an attribute before opset 18"), std::string::npos) << msg;
}

// Conv's input 3 (the residual a pass fuses) likewise: a file's fourth input would be added to
// the output.
TEST(OnnxImporter, ConvWithFourInputs) {
  auto m = small_conv_model();
  m.mutable_graph()->mutable_node(0)->add_input("x");
  std::string msg = import_error(m, "conv4", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("node 'conv' (Conv, opset 13)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Conv takes at most 3 inputs, the file gives 4"), std::string::npos) << msg;
}

// torch exports F.dropout(x, p=0) (training=True by default; Swin's attention) as Dropout with
// training_mode true and ratio 0: the identity. Training mode with another ratio is refused.
TEST(OnnxImporter, DropoutInTrainingModeWithRatioZero) {
  auto dropout_model = [](float ratio) {
    auto m = make_model(13);
    add_io(m.mutable_graph()->add_input(), "x", {2, 3});
    add_io(m.mutable_graph()->add_output(), "y", {2, 3});
    add_initializer(m, "ratio", {}, {ratio});
    auto* training = m.mutable_graph()->add_initializer();
    training->set_name("training");
    training->set_data_type(onnx::TensorProto_DataType_BOOL);
    training->add_int32_data(1);
    add_node(m, "Dropout", "drop", {"x", "ratio", "training"}, {"y"});
    return m;
  };
  fs::path dir = temp_dir("dropout");
  save_model(dropout_model(0.f), (dir / "m.onnx").string());
  auto g = onnx_frontend::import_file((dir / "m.onnx").string());
  ASSERT_EQ(g->nodes().size(), 1u);
  EXPECT_EQ(g->nodes()[0]->inputs.size(), 1u);  // ratio and training_mode dropped
  std::string msg = import_error(dropout_model(0.5f), "dropout_train", ErrorCode::kUnsupported);
  EXPECT_NE(msg.find("node 'drop' (Dropout, opset 13)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("training_mode=true is supported only with a constant ratio of 0"),
            std::string::npos)
      << msg;
}

TEST(OnnxImporter, OpsetOutOfRange) {
  auto m = small_conv_model();
  m.mutable_opset_import(0)->set_version(99);
  std::string msg = import_error(m, "opset", ErrorCode::kUnsupported);
  EXPECT_NE(msg.find("opset 99"), std::string::npos) << msg;
}

TEST(OnnxImporter, BadTensorSize) {
  auto m = small_conv_model();
  m.mutable_graph()->mutable_initializer(0)->mutable_float_data()->RemoveLast();
  std::string msg = import_error(m, "badtensor", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("'w'"), std::string::npos) << msg;
}

TEST(OnnxImporter, WrongWeightShapeNamesNode) {
  auto m = small_conv_model();
  m.mutable_graph()->mutable_initializer(0)->set_dims(1, 5);  // 3x5x3x3: channel mismatch
  m.mutable_graph()->mutable_initializer(0)->mutable_float_data()->Resize(3 * 5 * 9, 0.f);
  std::string msg = import_error(m, "badweight", ErrorCode::kInvalidModel);
  EXPECT_NE(msg.find("conv"), std::string::npos) << msg;
}

namespace {
onnx::ModelProto external_data_model(const std::string& location, int64_t offset) {
  auto m = small_conv_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
  auto* loc = w->add_external_data();
  loc->set_key("location");
  loc->set_value(location);
  auto* off = w->add_external_data();
  off->set_key("offset");
  off->set_value(std::to_string(offset));
  return m;
}
}  // namespace

TEST(OnnxImporter, ExternalDataLoadsInsideModelFolder) {
  fs::path dir = temp_dir("external");
  std::vector<float> w(3 * 2 * 3 * 3, 0.25f);
  std::ofstream(dir / "model.onnx.data", std::ios::binary)
      .write(reinterpret_cast<const char*>(w.data()), static_cast<std::streamsize>(w.size() * 4));
  save_model(external_data_model("model.onnx.data", 0), (dir / "model.onnx").string());
  auto g = onnx_frontend::import_file((dir / "model.onnx").string());
  EXPECT_FLOAT_EQ(g->find_value("w")->constant->data<float>()[5], 0.25f);
}

TEST(OnnxImporter, ExternalDataCannotEscapeModelFolder) {
  import_error(external_data_model("../../etc/passwd", 0), "escape", ErrorCode::kInvalidModel);
  import_error(external_data_model("/etc/passwd", 0), "absolute", ErrorCode::kInvalidModel);
}

TEST(OnnxImporter, ExternalDataOutOfRange) {
  fs::path dir = temp_dir("external_range");
  std::ofstream(dir / "model.onnx.data", std::ios::binary) << "tiny";
  save_model(external_data_model("model.onnx.data", 0), (dir / "model.onnx").string());
  EXPECT_THROW(onnx_frontend::import_file((dir / "model.onnx").string()), Error);
}

// Shape of a large activation with a dynamic batch feeding a Reshape (Swin V2's window padding):
// shape propagation evaluates the Shape however large its input (it reads dims only), so the
// output keeps its dtype and dims (they were undefined when the Shape's input counted as work).
TEST(OnnxImporter, ShapeOfALargeDynamicActivationFeedsAReshape) {
  auto m = shape_subgraph_reshape_model({-1, 64, 128, 128});
  add_io(m.mutable_graph()->add_output(), "r", {-1, 64 * 128 * 128});
  fs::path dir = temp_dir("shapelarge");
  save_model(m, (dir / "m.onnx").string());
  auto engine = Engine::compile_onnx((dir / "m.onnx").string());
  EXPECT_EQ(engine->outputs().at(0).dtype, DataType::kF32);
  EXPECT_EQ(engine->outputs().at(0).dims, (Dims{-1, 64 * 128 * 128}));
}

// The importer only imports; the pipeline's constant folding resolves the shape subgraph.
TEST(OnnxImporter, ShapeSubgraphFeedingReshapeFoldsInThePipeline) {
  auto m = shape_subgraph_reshape_model({2, 3, 4});
  add_io(m.mutable_graph()->add_output(), "r", {2, 12});
  fs::path dir = temp_dir("shapefold");
  save_model(m, (dir / "m.onnx").string());
  auto graph = onnx_frontend::import_file((dir / "m.onnx").string());
  EXPECT_EQ(graph->nodes().size(), 5u);  // Shape, Gather, Unsqueeze, Concat, Reshape
  PassContext ctx;
  ctx.verify = true;
  run_pipeline(*graph, CompileOptions{}, ctx);
  ASSERT_EQ(graph->nodes().size(), 1u);
  EXPECT_EQ(graph->nodes()[0]->op_type, "Reshape");
  EXPECT_TRUE(graph->nodes()[0]->input(1)->is_constant());
  EXPECT_EQ(graph->outputs[0]->shape.to_string(), "[2x12]");
}
