#include "frontends/onnx/onnx_importer.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "frontends/onnx/op_importers.h"
#include "frontends/onnx/tensor_proto.h"
#include "lowp/error.h"
#include "lowp/shape_propagation.h"

namespace lowp::onnx_frontend {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw_error(ErrorCode::kInvalidModel, message);
}

std::string read_whole_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw_error(ErrorCode::kIo, path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorCode::kIo, path + ": cannot open");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string node_label(const onnx::NodeProto& n, size_t index) {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
}

std::string where(const std::string& label, const std::string& name, const std::string& op,
                  int64_t opset) {
  return label + ": node '" + name + "' (" + op + ", opset " + std::to_string(opset) + ")";
}

// A declared shape; dims a tensor cannot have (negative, or past kMaxTensorElements in all) are
// refused naming `context`, before anything computes an element count from them.
Shape shape_from_type(const onnx::TypeProto& type, const std::string& context) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return Shape::unknown_rank();
  std::vector<Dim> dims;
  Dims sizes;
  for (const auto& d : type.tensor_type().shape().dim()) {
    if (d.has_dim_value()) {
      dims.push_back(Dim{d.dim_value(), {}});
    } else {
      dims.push_back(Dim{-1, d.dim_param()});
    }
    sizes.push_back(dims.back().size);
  }
  const std::string problem = dims_problem(sizes);
  if (!problem.empty()) throw_error(ErrorCode::kInvalidModel, context + ": declared " + problem);
  return Shape(std::move(dims));
}

Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& base_dir,
                            const std::string& context) {
  switch (a.type()) {
    case onnx::AttributeProto_AttributeType_FLOAT:
      return a.f();
    case onnx::AttributeProto_AttributeType_INT:
      return static_cast<int64_t>(a.i());
    case onnx::AttributeProto_AttributeType_STRING:
      return a.s();
    case onnx::AttributeProto_AttributeType_FLOATS:
      return std::vector<float>(a.floats().begin(), a.floats().end());
    case onnx::AttributeProto_AttributeType_INTS:
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case onnx::AttributeProto_AttributeType_STRINGS:
      return std::vector<std::string>(a.strings().begin(), a.strings().end());
    case onnx::AttributeProto_AttributeType_TENSOR:
      return tensor_from_proto(a.t(), base_dir, context);
    default:
      throw_error(ErrorCode::kUnsupported, context + ": attribute '" + a.name() +
                                               "' has an unsupported type (graph / sparse)");
  }
}

// Constant node -> the tensor it defines.
Tensor constant_value(const onnx::NodeProto& n, const std::string& base_dir,
                      const std::string& context) {
  if (n.attribute_size() != 1) invalid(context + ": Constant needs exactly one value attribute");
  const auto& a = n.attribute(0);
  if (a.name() == "value") return tensor_from_proto(a.t(), base_dir, context);
  if (a.name() == "value_float") {
    Tensor t(DataType::kF32, {});
    *t.data<float>() = a.f();
    return t;
  }
  if (a.name() == "value_floats") {
    Tensor t(DataType::kF32, {a.floats_size()});
    for (int i = 0; i < a.floats_size(); ++i) t.data<float>()[i] = a.floats(i);
    return t;
  }
  if (a.name() == "value_int") {
    Tensor t(DataType::kS64, {});
    *t.data<int64_t>() = a.i();
    return t;
  }
  if (a.name() == "value_ints") {
    Tensor t(DataType::kS64, {a.ints_size()});
    for (int i = 0; i < a.ints_size(); ++i) t.data<int64_t>()[i] = a.ints(i);
    return t;
  }
  throw_error(ErrorCode::kUnsupported,
              context + ": Constant attribute '" + a.name() + "' is not supported");
}

int64_t default_opset(const onnx::ModelProto& model, const std::string& label) {
  int64_t opset = -1;
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  }
  if (opset < 0) {
    if (model.opset_import_size() == 0) return kMinOpset;  // very old models: no opset_import
    invalid(label + ": the model imports no default-domain (ai.onnx) opset");
  }
  if (opset < kMinOpset || opset > kMaxOpset) {
    throw_error(ErrorCode::kUnsupported,
                label + ": opset " + std::to_string(opset) + " is outside the supported range " +
                    std::to_string(kMinOpset) + "-" + std::to_string(kMaxOpset));
  }
  return opset;
}

// Lists every node that cannot be imported, in one message, before anything is imported.
void check_supported(const onnx::GraphProto& g, int64_t opset, const std::string& label) {
  std::vector<std::string> problems;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!default_domain || !is_importable(n.op_type(), opset)) {
      problems.push_back("node '" + node_label(n, i) + "' (" +
                         (default_domain ? "" : n.domain() + "::") + n.op_type() + ", opset " +
                         std::to_string(opset) + ")");
    }
  }
  if (problems.empty()) return;
  std::string msg = label + ": " + std::to_string(problems.size()) + " unsupported operator" +
                    (problems.size() > 1 ? "s" : "") + ": ";
  for (size_t i = 0; i < problems.size() && i < 20; ++i) msg += (i ? "; " : "") + problems[i];
  if (problems.size() > 20) msg += "; ...";
  throw_error(ErrorCode::kUnsupported, msg);
}

}  // namespace

std::shared_ptr<Graph> import_model(const onnx::ModelProto& model, const std::string& label,
                                    const std::string& base_dir) {
  if (!model.has_graph()) invalid(label + ": the model has no graph");
  const onnx::GraphProto& g = model.graph();
  int64_t opset = default_opset(model, label);
  check_supported(g, opset, label);

  auto graph = std::make_shared<Graph>();
  graph->name = g.name();
  graph->opset = opset;

  // Initializers first: graph inputs that share a name with one are constants (IR version < 4).
  for (const auto& init : g.initializer()) {
    if (init.name().empty()) invalid(label + ": an initializer has no name");
    graph->add_constant(init.name(), tensor_from_proto(init, base_dir, label + ": initializer"));
  }
  for (const auto& in : g.input()) {
    if (graph->find_value(in.name())) continue;
    int elem = in.type().tensor_type().elem_type();
    DataType dtype = from_onnx_dtype(elem);
    if (dtype == DataType::kUndefined) {
      throw_error(ErrorCode::kUnsupported, label + ": input '" + in.name() +
                                               "' has unsupported element type " +
                                               std::to_string(elem));
    }
    graph->inputs.push_back(graph->add_value(
        in.name(), dtype, shape_from_type(in.type(), label + ": input '" + in.name() + "'")));
  }

  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    std::string name = node_label(n, static_cast<size_t>(i));
    ImportContext ctx{*graph, opset, label, where(label, name, n.op_type(), opset)};
    if (n.op_type() == "Constant") {
      if (n.output_size() != 1) invalid(ctx.where + ": Constant needs one output");
      graph->add_constant(n.output(0), constant_value(n, base_dir, ctx.where));
      continue;
    }
    NodeImport imp;
    imp.name = name;
    imp.op_type = n.op_type();
    for (const auto& in_name : n.input()) {
      if (in_name.empty()) {
        imp.inputs.push_back(nullptr);
        continue;
      }
      Value* v = graph->find_value(in_name);
      if (!v || (!v->constant && !v->producer &&
                 std::find(graph->inputs.begin(), graph->inputs.end(), v) == graph->inputs.end())) {
        invalid(ctx.where + ": input '" + in_name +
                "' is not produced by any earlier node, graph input or initializer");
      }
      imp.inputs.push_back(v);
    }
    for (const auto& out_name : n.output()) {
      if (out_name.empty()) {
        imp.outputs.push_back(nullptr);
        continue;
      }
      if (graph->find_value(out_name))
        invalid(ctx.where + ": output '" + out_name + "' is defined twice");
      imp.outputs.push_back(graph->add_value(out_name));
    }
    for (const auto& a : n.attribute()) {
      // Names with a leading '_' are lowp's internal forms (`_out_dtype`...): never from a file.
      if (!a.name().empty() && a.name()[0] == '_') {
        invalid(ctx.where + ": attribute '" + a.name() +
                "' is no ONNX attribute (a leading '_' is reserved for lowp's internal forms)");
      }
      imp.attributes[a.name()] = convert_attribute(a, base_dir, ctx.where);
    }
    import_node(ctx, std::move(imp));
  }

  for (const auto& out : g.output()) {
    Value* v = graph->find_value(out.name());
    if (!v) invalid(label + ": graph output '" + out.name() + "' is never produced");
    graph->outputs.push_back(v);
  }
  if (const Value* twice = graph->repeated_output()) {
    invalid(label + ": graph output '" + twice->name + "' is listed twice");
  }
  if (graph->outputs.empty()) invalid(label + ": the graph has no outputs");

  try {
    propagate_shapes(*graph);  // constant subgraphs fold in the pipeline (ConstantFoldingPass)
  } catch (const Error& e) {
    throw Error(e.code(), label + ": " + e.what());
  }
  return graph;
}

std::shared_ptr<Graph> import_file(const std::string& path) {
  std::string bytes = read_whole_file(path);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) {
    invalid(path +
            ": not a valid ONNX model (the protobuf could not be parsed; truncated or corrupt?)");
  }
  std::string base_dir = fs::path(path).parent_path().string();
  return import_model(model, path, base_dir.empty() ? "." : base_dir);
}

Tensor read_tensor_file(const std::string& path) {
  std::string bytes = read_whole_file(path);
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) invalid(path + ": not a valid TensorProto");
  std::string base_dir = fs::path(path).parent_path().string();
  return tensor_from_proto(proto, base_dir, path);
}

}  // namespace lowp::onnx_frontend
