#include "frontends/onnx/op_importers.h"

#include <limits>

#include "frontends/onnx/tensor_proto.h"
#include "lowp/error.h"
#include "lowp/op_schema.h"

namespace lowp::onnx_frontend {
namespace {

[[noreturn]] void unsupported(const ImportContext& ctx, const std::string& what) {
  throw_error(ErrorCode::kUnsupported, ctx.where + ": " + what);
}

template <typename T>
T attr_or(const ImportContext& ctx, const NodeImport& n, const std::string& key, T fallback) {
  auto it = n.attributes.find(key);
  if (it == n.attributes.end()) return fallback;
  const auto* v = std::get_if<T>(&it->second);
  if (!v)
    throw_error(ErrorCode::kInvalidModel,
                ctx.where + ": attribute '" + key + "' has the wrong type");
  return *v;
}

// Moves an ints attribute into input `index` (filling any gap with omitted inputs).
void attr_to_input(ImportContext& ctx, NodeImport& n, const std::string& attr, size_t index) {
  auto it = n.attributes.find(attr);
  if (it == n.attributes.end()) return;
  const auto* ints = std::get_if<std::vector<int64_t>>(&it->second);
  if (!ints) unsupported(ctx, "attribute '" + attr + "' must be a list of ints");
  Value* v = ctx.add_constant(n.name + "_" + attr, Tensor::int64s(*ints));
  if (n.inputs.size() <= index) n.inputs.resize(index + 1, nullptr);
  n.inputs[index] = v;
  n.attributes.erase(it);
}

void import_clip(ImportContext& ctx, NodeImport& n) {
  if (ctx.opset >= 11) return;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  lo = attr_or<float>(ctx, n, "min", lo);
  hi = attr_or<float>(ctx, n, "max", hi);
  n.attributes.erase("min");
  n.attributes.erase("max");
  n.inputs.resize(3);
  n.inputs[1] = ctx.add_constant(n.name + "_min", Tensor::scalar(lo));
  n.inputs[2] = ctx.add_constant(n.name + "_max", Tensor::scalar(hi));
}

void import_softmax(ImportContext& ctx, NodeImport& n) {
  if (ctx.opset < 13) {
    if (!n.attributes.count("axis")) n.attributes["axis"] = int64_t{1};
    n.attributes["_coerce_2d"] = int64_t{1};
  } else if (!n.attributes.count("axis")) {
    n.attributes["axis"] = int64_t{-1};
  }
}

void import_pad(ImportContext& ctx, NodeImport& n) {
  if (ctx.opset >= 11) return;
  attr_to_input(ctx, n, "pads", 1);
  float value = attr_or<float>(ctx, n, "value", 0.f);
  n.attributes.erase("value");
  n.inputs.resize(3);
  n.inputs[2] = ctx.add_constant(n.name + "_value", Tensor::scalar(value));
}

void import_resize(ImportContext& ctx, NodeImport& n) {
  if (ctx.opset < 11) {                                   // Resize-10: (X, scales)
    Value* x = n.inputs.empty() ? nullptr : n.inputs[0];  // missing: refused by the schema
    Value* scales = n.inputs.size() > 1 ? n.inputs[1] : nullptr;
    n.inputs = {x, nullptr, scales};
    n.attributes["coordinate_transformation_mode"] = std::string("asymmetric");
    n.attributes["nearest_mode"] = std::string("floor");
  }
  // An empty scales/roi/sizes constant means "not given".
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    if (n.inputs[i] && n.inputs[i]->constant && n.inputs[i]->constant->numel() == 0)
      n.inputs[i] = nullptr;
  }
}

void import_batch_norm(ImportContext& ctx, NodeImport& n) {
  if (attr_or<int64_t>(ctx, n, "training_mode", 0) != 0) {
    unsupported(ctx, "training_mode=1 is not supported (inference only)");
  }
  n.attributes.erase("training_mode");
  n.attributes.erase("spatial");
  n.attributes.erase("momentum");
  for (size_t i = 1; i < n.outputs.size(); ++i) {
    if (n.outputs[i] && !n.outputs[i]->consumers.empty()) {
      unsupported(ctx, "training outputs (running mean/var) are not supported");
    }
  }
  n.outputs.resize(1);
}

void import_dropout(ImportContext& ctx, NodeImport& n) {
  n.attributes.erase("ratio");
  n.attributes.erase("is_test");
  n.attributes.erase("seed");
  // Training mode with ratio 0 keeps every element and scales by 1/(1-0): the identity, as in
  // inference. torch exports F.dropout(x, p=0) (training=True by default) this way (Swin).
  if (n.inputs.size() > 2 && n.inputs[2]) {
    const Value* training = n.inputs[2];
    if (!training->constant || training->constant->numel() != 1) {
      unsupported(ctx, "training_mode must be a constant scalar");
    }
    const Value* ratio = n.inputs[1];
    bool ratio_zero = ratio && ratio->constant && ratio->constant->numel() == 1 &&
                      ratio->constant->to_float().at(0) == 0.0f;
    if (training->constant->to_int64().at(0) != 0 && !ratio_zero) {
      unsupported(ctx, "training_mode=true is supported only with a constant ratio of 0");
    }
  }
  n.inputs.resize(1);
}

void import_cast(ImportContext& ctx, NodeImport& n) {
  int64_t onnx_to = attr_or<int64_t>(ctx, n, "to", 0);
  DataType to = DataType::kUndefined;
  switch (onnx_to) {
    case 1:
      to = DataType::kF32;
      break;
    case 2:
      to = DataType::kU8;
      break;
    case 3:
      to = DataType::kS8;
      break;
    case 6:
      to = DataType::kS32;
      break;
    case 7:
      to = DataType::kS64;
      break;
    case 9:
      to = DataType::kBool;
      break;
    case 10:
      to = DataType::kF16;
      break;
    case 16:
      to = DataType::kBF16;
      break;
    default:
      unsupported(ctx, "Cast to ONNX type " + std::to_string(onnx_to) + " is not supported");
  }
  n.attributes["to"] = static_cast<int64_t>(to);
  n.attributes.erase("saturate");
}

// QuantizeLinear / DequantizeLinear (opsets 10-21): `output_dtype` (opset 21) becomes a lowp
// DataType value; `saturate` only concerns float8 outputs, which lowp does not have.
void import_quantize_linear(ImportContext& ctx, NodeImport& n) {
  n.attributes.erase("saturate");
  const int64_t onnx_type = attr_or<int64_t>(ctx, n, "output_dtype", 0);
  if (onnx_type == 0) return;
  const DataType t = from_onnx_dtype(static_cast<int>(onnx_type));
  if (t != DataType::kU8 && t != DataType::kS8) {
    unsupported(ctx, "output_dtype " + std::to_string(onnx_type) + " (only uint8 and int8)");
  }
  n.attributes["output_dtype"] = static_cast<int64_t>(t);
}

// The reductions' axes became an input at opset 18 (ReduceSum's at 13); before, they are an
// attribute only, and an axes input is not ONNX.
void import_reduce(ImportContext& ctx, NodeImport& n) {
  const int64_t axes_input_from = n.op_type == "ReduceSum" ? 13 : 18;
  if (ctx.opset >= axes_input_from) return;
  if (n.inputs.size() > 1) {
    throw_error(ErrorCode::kInvalidModel,
                ctx.where + ": " + n.op_type + " takes its axes as an attribute before opset " +
                    std::to_string(axes_input_from) + ", the file gives an axes input");
  }
  attr_to_input(ctx, n, "axes", 1);
}

using Rewrite = void (*)(ImportContext&, NodeImport&);

const std::map<std::string, Rewrite>& rewrites() {
  static const std::map<std::string, Rewrite> table = {
      {"Clip", import_clip},
      {"Softmax", import_softmax},
      {"Pad", import_pad},
      {"Resize", import_resize},
      {"BatchNormalization", import_batch_norm},
      {"Dropout", import_dropout},
      {"Cast", import_cast},
      {"QuantizeLinear", import_quantize_linear},
      {"Split",
       [](ImportContext& ctx, NodeImport& n) {
         if (ctx.opset < 13) attr_to_input(ctx, n, "split", 1);
       }},
      {"Slice",
       [](ImportContext& ctx, NodeImport& n) {
         if (ctx.opset >= 10) return;
         attr_to_input(ctx, n, "starts", 1);
         attr_to_input(ctx, n, "ends", 2);
         attr_to_input(ctx, n, "axes", 3);
       }},
      {"Squeeze",
       [](ImportContext& ctx, NodeImport& n) {
         if (ctx.opset < 13) attr_to_input(ctx, n, "axes", 1);
       }},
      {"Unsqueeze",
       [](ImportContext& ctx, NodeImport& n) {
         if (ctx.opset < 13) attr_to_input(ctx, n, "axes", 1);
       }},
      {"ReduceMean", import_reduce},
      {"ReduceSum", import_reduce},
      {"ReduceL1", import_reduce},
      {"ReduceL2", import_reduce},
      {"ReduceSumSquare", import_reduce},
  };
  return table;
}

}  // namespace

bool is_importable(const std::string& op_type, int64_t opset) {
  if (op_type == "Constant") return true;
  return find_op_schema(op_type) != nullptr;
}

void import_node(ImportContext& ctx, NodeImport n) {
  // Drop trailing omitted inputs so input counts match the schema.
  while (!n.inputs.empty() && !n.inputs.back()) n.inputs.pop_back();
  while (!n.outputs.empty() && !n.outputs.back()) n.outputs.pop_back();
  // Opset < 7 leftovers: `consumed_inputs` means nothing at inference; legacy `broadcast` with
  // an axis has semantics other than numpy's and is refused rather than misread.
  n.attributes.erase("consumed_inputs");
  if (attr_or<int64_t>(ctx, n, "broadcast", 0) != 0) {
    unsupported(ctx, "legacy (opset < 7) 'broadcast' attribute is not supported");
  }
  n.attributes.erase("broadcast");
  // Inputs past ONNX's count are lowp's fused forms (Conv's residual, MatMul's bias), never a
  // file's.
  if (const OpSchema* schema = find_op_schema(n.op_type);
      schema && schema->onnx_max_inputs >= 0 &&
      n.inputs.size() > static_cast<size_t>(schema->onnx_max_inputs)) {
    throw_error(ErrorCode::kInvalidModel, ctx.where + ": " + n.op_type + " takes at most " +
                                              std::to_string(schema->onnx_max_inputs) +
                                              " inputs, the file gives " +
                                              std::to_string(n.inputs.size()));
  }
  if (auto it = rewrites().find(n.op_type); it != rewrites().end()) it->second(ctx, n);
  Node* node = ctx.graph.add_node(n.op_type, n.name, std::move(n.inputs), std::move(n.outputs));
  node->attributes = std::move(n.attributes);
}

}  // namespace lowp::onnx_frontend
