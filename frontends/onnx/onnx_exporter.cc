#include "frontends/onnx/onnx_exporter.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "frontends/onnx/onnx_export_util.h"
#include "frontends/onnx/tensor_proto.h"
#include "lowp/error.h"
#include "lowp/op_schema.h"

namespace lowp::onnx_frontend {
namespace {

class Exporter {
 public:
  Exporter(const Graph& graph, onnx::GraphProto& out) : g_(graph), out_(out) {}

  void run() {
    out_.set_name(g_.name.empty() ? "lowp" : g_.name);
    for (const auto& v : g_.values()) names_.insert(v->name);
    for (const auto& n : g_.nodes()) node_names_.insert(n->name);
    for (const Value* v : g_.inputs) {
      if (!v->is_constant()) fill_value_info(*v, *out_.add_input());
    }
    for (const Node* n : topological_order()) {
      try {
        export_node(*n);
      } catch (const Error& e) {
        throw Error(e.code(), n->describe() + ": " + e.what());
      }
    }
    for (const Value* v : g_.outputs) {
      if (!v->producer && !v->is_constant() &&
          std::find(g_.inputs.begin(), g_.inputs.end(), v) == g_.inputs.end()) {
        throw_error(ErrorCode::kInvalidModel, "graph output '" + v->name + "' is never produced");
      }
      stored(v);  // a constant output becomes an initializer
      fill_value_info(*v, *out_.add_output());
    }
  }

 private:
  // Nodes in dependency order (a loaded plan's graph is already sorted; this only checks it, and
  // reorders when it is not).
  std::vector<const Node*> topological_order() const {
    std::set<const Node*> in_graph;
    for (const auto& n : g_.nodes()) in_graph.insert(n.get());
    std::vector<const Node*> order;
    std::set<const Node*> done;
    std::vector<const Node*> pending;
    for (const auto& n : g_.nodes()) pending.push_back(n.get());
    while (!pending.empty()) {
      std::vector<const Node*> later;
      for (const Node* n : pending) {
        bool ready = true;
        for (const Value* in : n->inputs) {
          const Node* p = in ? in->producer : nullptr;
          if (p && p != n && in_graph.count(p) && !done.count(p)) ready = false;
        }
        if (ready) {
          order.push_back(n);
          done.insert(n);
        } else {
          later.push_back(n);
        }
      }
      if (later.size() == pending.size()) {
        throw_error(ErrorCode::kInvalidModel,
                    "the graph has a cycle through " + later.front()->describe());
      }
      pending = std::move(later);
    }
    return order;
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; names_.count(name); ++i) name = base + "_" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  // A name for a node lowp adds (never one of the IR's node names).
  std::string fresh_node(const std::string& base) {
    std::string name = base;
    for (int i = 1; node_names_.count(name); ++i) name = base + "_" + std::to_string(i);
    node_names_.insert(name);
    return name;
  }

  // The IR node's own name for the ONNX node that does its work (fresh only for a duplicate).
  std::string own_name(const Node& n) {
    return claimed_.insert(n.name).second ? n.name : fresh_node(n.name);
  }

  onnx::NodeProto& emit(const std::string& op, const std::string& name,
                        std::vector<std::string> inputs, const std::vector<std::string>& outputs) {
    while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
    onnx::NodeProto& p = *out_.add_node();
    p.set_op_type(op);
    p.set_name(name);
    for (const auto& in : inputs) p.add_input(in);
    for (const auto& o : outputs) p.add_output(o);
    return p;
  }

  // One node of the opset-13 spelling of `n` (whose output is `out`): `op` on `inputs`, named
  // after `n`, into a fresh value named after `out`. Returns the node.
  onnx::NodeProto& decomposition_step(const Node& n, const std::string& out, const char* op,
                                      std::vector<std::string> inputs) {
    return emit(op, fresh_node(n.name + "_" + op), std::move(inputs),
                {fresh(out + "_" + std::string(op))});
  }

  std::string initializer(const std::string& base, const Tensor& t) {
    const std::string name = fresh(base);
    fill_tensor(t, name, *out_.add_initializer());
    return name;
  }

  // The name of `v`'s tensor as the IR stores it (integer for quantized values); constants are
  // written as initializers on first use.
  std::string stored(const Value* v) {
    if (!v) return "";
    if (v->is_constant() && written_.insert(v).second) {
      fill_tensor(*v->constant, v->name, *out_.add_initializer());
    }
    return v->name;
  }

  // Scale and zero-point initializers for a quantized value: scalars per tensor, 1-D per axis;
  // the zero point has the value's integer type.
  std::pair<std::string, std::string> qparams(const Value* v) {
    if (auto it = qparams_.find(v); it != qparams_.end()) return it->second;
    const QuantParams& q = *v->quant;
    if (q.scales.empty())
      throw_error(ErrorCode::kInvalidModel, "value '" + v->name + "' has no scales");
    if (!q.zero_points.empty() && q.zero_points.size() != q.scales.size()) {
      throw_error(ErrorCode::kInvalidModel,
                  "value '" + v->name + "' has " + std::to_string(q.scales.size()) +
                      " scales but " + std::to_string(q.zero_points.size()) + " zero points");
    }
    const bool axis = per_axis(q);
    const int64_t count = axis ? static_cast<int64_t>(q.scales.size()) : 1;
    const Dims dims = axis ? Dims{count} : Dims{};
    Tensor scale(DataType::kF32, dims);
    Tensor zero(v->dtype, dims);
    for (int64_t i = 0; i < count; ++i) {
      const auto c = static_cast<size_t>(i);
      scale.data<float>()[i] = q.scales[c];
      const int32_t zp = q.zero_points.empty() ? 0 : q.zero_points[c];
      switch (v->dtype) {
        case DataType::kS8:
          zero.data<int8_t>()[i] = static_cast<int8_t>(zp);
          break;
        case DataType::kU8:
          zero.data<uint8_t>()[i] = static_cast<uint8_t>(zp);
          break;
        default:
          zero.data<int32_t>()[i] = zp;
          break;
      }
    }
    auto names = std::make_pair(initializer(v->name + "_scale", scale),
                                initializer(v->name + "_zero_point", zero));
    return qparams_[v] = names;
  }

  void set_axis(onnx::NodeProto& p, const QuantParams& q) {
    if (!per_axis(q)) return;
    auto* a = p.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(q.axis);
  }

  // The real-valued view of `v`: its own tensor, or DequantizeLinear of it when it is quantized
  // (one per value, shared by its readers).
  std::string real(const Value* v) {
    if (!is_quantized(v)) return stored(v);
    if (auto it = real_.find(v); it != real_.end()) return it->second;
    const auto [scale, zero] = qparams(v);
    const std::string out = fresh(v->name + "_dequantized");
    set_axis(emit("DequantizeLinear", fresh_node(v->name + "_DequantizeLinear"),
                  {stored(v), scale, zero}, {out}),
             *v->quant);
    return real_[v] = out;
  }

  // QuantizeLinear(real) -> v's own name, with v's params.
  void quantize_into(const std::string& real_name, const Value* v, const std::string& node_base) {
    if (v->dtype == DataType::kS32) {
      throw_error(ErrorCode::kUnsupported,
                  "output '" + v->name +
                      "' is quantized to s32, which ONNX QuantizeLinear-13 cannot "
                      "write");
    }
    const auto [scale, zero] = qparams(v);
    set_axis(emit("QuantizeLinear", fresh_node(node_base + "_QuantizeLinear"),
                  {real_name, scale, zero}, {v->name}),
             *v->quant);
  }

  static void add_attribute(onnx::NodeProto& p, const std::string& key, const Attribute& value) {
    auto* a = p.add_attribute();
    a->set_name(key);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_INT);
      a->set_i(*i);
    } else if (const auto* f = std::get_if<float>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
      a->set_f(*f);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_STRING);
      a->set_s(*s);
    } else if (const auto* is = std::get_if<std::vector<int64_t>>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_INTS);
      for (int64_t x : *is) a->add_ints(x);
    } else if (const auto* fs = std::get_if<std::vector<float>>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_FLOATS);
      for (float x : *fs) a->add_floats(x);
    } else if (const auto* ss = std::get_if<std::vector<std::string>>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_STRINGS);
      for (const auto& x : *ss) a->add_strings(x);
    } else if (const auto* t = std::get_if<Tensor>(&value)) {
      a->set_type(onnx::AttributeProto_AttributeType_TENSOR);
      fill_tensor(*t, "", *a->mutable_t());
    }
  }

  // The node's ONNX attributes: internal ones (leading '_') and those in `skip` left out.
  static void copy_attributes(const Node& n, onnx::NodeProto& p,
                              const std::set<std::string>& skip = {}) {
    for (const auto& [key, value] : n.attributes) {
      if (key.empty() || key[0] == '_' || skip.count(key)) continue;
      add_attribute(p, key, value);
    }
  }

  void export_node(const Node& n) {
    if (n.op_type == "QuantizeLinear") return export_quantize(n);
    if (n.op_type == "DequantizeLinear") return export_dequantize(n);
    std::vector<std::string> outs;
    for (const Value* o : n.outputs) outs.push_back(o ? o->name : "");

    const Value* in0 = n.input(0);
    const Value* out0 = n.outputs.empty() ? nullptr : n.outputs[0];
    if ((n.op_type == "Flatten" || n.op_type == "Reshape") && is_quantized(in0) &&
        is_quantized(out0) && in0->dtype == out0->dtype && *in0->quant == *out0->quant) {
      // Pass-through: moves the integer tensor, whose params stay the same.
      std::vector<std::string> ins;
      for (const Value* v : n.inputs) ins.push_back(stored(v));
      copy_attributes(n, emit(n.op_type, own_name(n), ins, outs));
      return;
    }

    bool quantized = false;
    for (const Value* v : n.inputs) quantized = quantized || is_quantized(v);
    for (const Value* v : n.outputs) quantized = quantized || is_quantized(v);
    std::vector<std::string> ins;
    for (const Value* v : n.inputs) ins.push_back(quantized ? real(v) : stored(v));
    if (!quantized) {
      DataType compute = DataType::kF32;
      if (out0 && traits(out0->dtype).is_float) compute = out0->dtype;
      return export_compute(n, ins, outs, compute);
    }
    // int8: dequantized inputs, the float op, then QuantizeLinear into each quantized output.
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (is_quantized(n.outputs[i])) outs[i] = fresh(n.outputs[i]->name + "_float");
    }
    export_compute(n, ins, outs, DataType::kF32);
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (is_quantized(n.outputs[i])) quantize_into(outs[i], n.outputs[i], n.name);
    }
  }

  // IR QuantizeLinear -> QuantizeLinear-13: `output_dtype` (a lowp DataType) becomes the type of
  // the zero point, which opset 13 requires to say int8.
  void export_quantize(const Node& n) {
    const Value* out = n.outputs.at(0);
    std::vector<std::string> ins = {real(n.input(0)), stored(n.input(1)), stored(n.input(2))};
    if (!n.input(2) && out->dtype == DataType::kS8) {
      const Value* scale = n.input(1);
      if (!scale || !scale->is_constant()) {
        throw_error(ErrorCode::kUnsupported,
                    "an int8 output without a zero point needs a constant scale");
      }
      ins[2] = initializer(n.name + "_zero_point", Tensor(DataType::kS8, scale->constant->dims()));
    } else if (out->dtype != DataType::kS8 && out->dtype != DataType::kU8) {
      throw_error(ErrorCode::kUnsupported,
                  std::string("output type ") + name_of(out->dtype) + " (opset 13: uint8 or int8)");
    }
    copy_attributes(n, emit("QuantizeLinear", own_name(n), ins, {out->name}),
                    {"output_dtype", "saturate"});
  }

  void export_dequantize(const Node& n) {
    std::vector<std::string> ins;
    for (const Value* v : n.inputs) ins.push_back(stored(v));
    copy_attributes(n, emit("DequantizeLinear", own_name(n), ins, {n.outputs.at(0)->name}));
  }

  // The float op with its fused forms spelled out. `compute` is the element type the op computes
  // in (the type of Clip bounds).
  void export_compute(const Node& n, std::vector<std::string> ins,
                      const std::vector<std::string>& outs, DataType compute) {
    const std::string& op = n.op_type;
    const bool act = n.activation.present();
    if (op == "Conv" || op == "Gemm" || op == "MatMul") {
      // Inputs past ONNX's count (Conv's residual, MatMul's bias) are a summand added after the
      // op, before its activation.
      const OpSchema* schema = find_op_schema(op);
      const auto onnx_inputs = static_cast<size_t>(
          schema->onnx_max_inputs >= 0 ? schema->onnx_max_inputs : schema->max_inputs);
      std::string residual;
      if (ins.size() > onnx_inputs + 1) {
        throw_error(ErrorCode::kUnsupported,
                    "more than " + std::to_string(onnx_inputs + 1) + " inputs");
      } else if (ins.size() > onnx_inputs) {
        residual = ins[onnx_inputs];
        ins.resize(onnx_inputs);
      }
      const std::string& out = outs.at(0);
      std::string cur = residual.empty() && !act ? out : fresh(out + "_" + op);
      copy_attributes(n, emit(op, own_name(n), ins, {cur}));
      if (!residual.empty()) {
        const std::string sum = !act ? out : fresh(out + "_sum");
        emit("Add", fresh_node(n.name + "_residual_add"), {cur, residual}, {sum});
        cur = sum;
      }
      if (act) activation(n, cur, out, compute);
      return;
    }
    if (op == "Softmax" && n.attr_int("_coerce_2d", 0) != 0) return coerced_softmax(n, ins, outs);
    if (op == "Cast") {
      const int64_t to = n.attr_int("to", 0);
      if (to <= 0 || to >= kNumDataTypes) {
        throw_error(ErrorCode::kInvalidModel, "'to' " + std::to_string(to) + " is no DataType");
      }
      onnx::NodeProto& p = emit(op, own_name(n), ins, outs);
      copy_attributes(n, p, {"to"});
      add_attribute(p, "to", int64_t{onnx_type(static_cast<DataType>(to), "Cast 'to'")});
      return;
    }
    if (op == "HardSwish") return hard_swish(n.name, ins.at(0), outs.at(0));
    if (op == "LayerNormalization") return layer_norm(n, ins, outs, compute);
    if (op == "ReduceMean") return reduce_mean(n, ins, outs);
    if (op == "ScatterND" && n.attr_string("reduction", "none") != "none") {
      throw_error(ErrorCode::kUnsupported,
                  "ScatterND with a reduction needs opset 16 or 18 (lowp writes 13)");
    }
    if (op == "Gelu") return gelu(n, ins.at(0), outs.at(0), compute);
    if (op == "Split") {  // opset 13 splits evenly over the outputs without `num_outputs`
      copy_attributes(n, emit(op, own_name(n), ins, outs), {"num_outputs"});
      return;
    }
    if (op == "Pad") {
      if (ins.size() > 3 && !ins[3].empty()) {
        throw_error(ErrorCode::kUnsupported, "Pad 'axes' input needs opset 18 (lowp writes 13)");
      }
      if (n.attr_string("mode", "constant") == "wrap") {
        throw_error(ErrorCode::kUnsupported, "Pad mode 'wrap' needs opset 19 (lowp writes 13)");
      }
    }
    copy_attributes(n, emit(op, own_name(n), ins, outs));
  }

  void activation(const Node& n, const std::string& x, const std::string& out, DataType compute) {
    const FusedActivation& a = n.activation;
    const std::string act = activation_op_type(a.kind);
    const std::string name = fresh_node(n.name + "_" + act);
    switch (a.kind) {
      case ActivationKind::kLeakyRelu:
        add_attribute(emit(act, name, {x}, {out}), "alpha", a.slope);
        return;
      case ActivationKind::kHardSigmoid: {
        onnx::NodeProto& p = emit(act, name, {x}, {out});
        add_attribute(p, "alpha", a.alpha);
        add_attribute(p, "beta", a.beta);
        return;
      }
      case ActivationKind::kClip: {
        std::vector<std::string> ins = {x, "", ""};
        if (std::isfinite(a.lo))
          ins[1] = initializer(n.name + "_clip_min", scalar_tensor(compute, a.lo));
        if (std::isfinite(a.hi))
          ins[2] = initializer(n.name + "_clip_max", scalar_tensor(compute, a.hi));
        emit(act, name, ins, {out});
        return;
      }
      case ActivationKind::kHardSwish:
        return hard_swish(n.name, x, out);
      case ActivationKind::kRelu:
      case ActivationKind::kSigmoid:
      case ActivationKind::kTanh:
        emit(act, name, {x}, {out});  // no parameters
        return;
      default:
        throw_error(ErrorCode::kUnsupported,
                    "unknown fused activation " + std::to_string(static_cast<int>(a.kind)));
    }
  }

  // HardSwish arrived in opset 14: x * HardSigmoid(x; alpha=1/6, beta=0.5).
  void hard_swish(const std::string& base, const std::string& x, const std::string& out) {
    const std::string gate = fresh(out + "_hard_sigmoid");
    onnx::NodeProto& p = emit("HardSigmoid", fresh_node(base + "_HardSigmoid"), {x}, {gate});
    add_attribute(p, "alpha", 1.f / 6.f);
    add_attribute(p, "beta", 0.5f);
    emit("Mul", fresh_node(base + "_HardSwish"), {x, gate}, {out});
  }

  // Gelu arrived in opset 20: 0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
  // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), in opset-13 ops.
  void gelu(const Node& n, const std::string& x, const std::string& out, DataType compute) {
    auto constant = [&](const char* what, float v) {
      return initializer(n.name + "_" + what, scalar_tensor(compute, v));
    };
    auto step = [&](const char* op, std::vector<std::string> in) {
      return decomposition_step(n, out, op, std::move(in)).output(0);
    };
    std::string inner;
    if (n.attr_string("approximate", "none") == "tanh") {
      const std::string cube = step("Mul", {x, step("Mul", {x, x})});
      const std::string poly =
          step("Add", {x, step("Mul", {cube, constant("coefficient", 0.044715f)})});
      const std::string arg = step("Mul", {poly, constant("scale", 0.7978845608f)});  // sqrt(2/pi)
      inner = step("Tanh", {arg});
    } else {
      inner = step("Erf", {step("Div", {x, constant("sqrt2", 1.41421356f)})});
    }
    const std::string gate = step("Add", {inner, constant("one", 1.f)});
    emit("Mul", own_name(n), {step("Mul", {x, gate}), constant("half", 0.5f)}, {out});
  }

  // ReduceMean's axes input (opset 18) as ReduceMean-13's attribute.
  void reduce_mean(const Node& n, const std::vector<std::string>& ins,
                   const std::vector<std::string>& outs) {
    onnx::NodeProto& p = emit("ReduceMean", own_name(n), {ins.at(0)}, outs);
    copy_attributes(n, p, {"noop_with_empty_axes"});
    const Value* axes = n.input(1);
    if (!axes) return;
    if (!axes->is_constant()) {
      throw_error(ErrorCode::kUnsupported, "ReduceMean's axes computed at run time need opset 18");
    }
    if (axes->constant->numel() == 0 && n.attr_int("noop_with_empty_axes", 0) != 0) {
      throw_error(ErrorCode::kUnsupported, "ReduceMean noop_with_empty_axes needs opset 18");
    }
    if (axes->constant->numel() > 0) add_attribute(p, "axes", axes->constant->to_int64());
  }

  // LayerNormalization arrived in opset 17: (x - mean) / sqrt(var + epsilon) * scale + bias over
  // the axes from `axis` on, in opset-13 ops.
  void layer_norm(const Node& n, const std::vector<std::string>& ins,
                  const std::vector<std::string>& outs, DataType compute) {
    for (size_t i = 1; i < n.outputs.size(); ++i) {
      if (n.outputs[i] && !n.outputs[i]->consumers.empty()) {
        throw_error(ErrorCode::kUnsupported, "LayerNormalization's Mean / InvStdDev outputs");
      }
    }
    const Value* x = n.input(0);
    if (!x || !x->shape.has_rank()) {
      throw_error(ErrorCode::kUnsupported, "LayerNormalization of an input of unknown rank");
    }
    const auto rank = static_cast<int64_t>(x->shape.rank());
    int64_t axis = n.attr_int("axis", -1);
    if (axis < 0) axis += rank;
    std::vector<int64_t> axes;
    for (int64_t a = axis; a < rank; ++a) axes.push_back(a);
    const std::string& out = outs.at(0);
    auto step = [&](const char* op, std::vector<std::string> in) {
      onnx::NodeProto& p = decomposition_step(n, out, op, std::move(in));
      if (std::string(op) == "ReduceMean") add_attribute(p, "axes", axes);
      return p.output(0);
    };
    const std::string centred = step("Sub", {ins.at(0), step("ReduceMean", {ins.at(0)})});
    const std::string var = step("ReduceMean", {step("Mul", {centred, centred})});
    const std::string eps =
        initializer(n.name + "_epsilon", scalar_tensor(compute, n.attr_float("epsilon", 1e-5f)));
    const std::string normed = step("Div", {centred, step("Sqrt", {step("Add", {var, eps})})});
    if (ins.size() > 2 && !ins[2].empty()) {
      emit("Add", own_name(n), {step("Mul", {normed, ins.at(1)}), ins[2]}, {out});
    } else {
      emit("Mul", own_name(n), {normed, ins.at(1)}, {out});
    }
  }

  // Opset < 13 Softmax: over the 2-D view [prod(dims[:axis]), prod(dims[axis:])]. The same as
  // Softmax-13 when axis is the last dimension; otherwise Flatten -> Softmax -> Reshape back.
  void coerced_softmax(const Node& n, const std::vector<std::string>& ins,
                       const std::vector<std::string>& outs) {
    const Value* x = n.input(0);
    int64_t axis = n.attr_int("axis", 1);
    const int64_t rank = x && x->shape.has_rank() ? static_cast<int64_t>(x->shape.rank()) : -1;
    if (rank >= 0 && axis < 0) axis += rank;
    if (rank >= 0 && axis == rank - 1) {
      add_attribute(emit("Softmax", own_name(n), ins, outs), "axis", axis);
      return;
    }
    const std::string& out = outs.at(0);
    const std::string shape = fresh(out + "_shape");
    const std::string flat = fresh(out + "_2d");
    const std::string soft = fresh(out + "_softmax_2d");
    emit("Shape", fresh_node(n.name + "_Shape"), {ins.at(0)}, {shape});
    add_attribute(emit("Flatten", fresh_node(n.name + "_Flatten"), {ins.at(0)}, {flat}), "axis",
                  n.attr_int("axis", 1));
    add_attribute(emit("Softmax", own_name(n), {flat}, {soft}), "axis", int64_t{1});
    emit("Reshape", fresh_node(n.name + "_Reshape"), {soft, shape}, {out});
  }

  const Graph& g_;
  onnx::GraphProto& out_;
  std::set<std::string> names_;       // tensor names in use
  std::set<std::string> node_names_;  // node names in use
  std::set<std::string> claimed_;     // IR node names already given to their ONNX node
  std::set<const Value*> written_;    // constants already written as initializers
  std::map<const Value*, std::string> real_;
  std::map<const Value*, std::pair<std::string, std::string>> qparams_;
};

}  // namespace

std::string export_onnx(const Graph& graph, ExportStats* stats) {
  onnx::ModelProto model;
  model.set_ir_version(kExportIrVersion);
  model.set_producer_name("lowp");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOpset);
  Exporter(graph, *model.mutable_graph()).run();

  const onnx::GraphProto& g = model.graph();
  if (stats) {
    *stats = ExportStats{};
    stats->nodes = g.node_size();
    for (const auto& n : g.node()) {
      stats->quantize_nodes += n.op_type() == "QuantizeLinear";
      stats->dequantize_nodes += n.op_type() == "DequantizeLinear";
    }
    stats->initializers = g.initializer_size();
    for (const auto& t : g.initializer()) {
      stats->initializer_bytes += static_cast<int64_t>(t.raw_data().size());
    }
  }
  const size_t bytes = model.ByteSizeLong();
  if (bytes > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw_error(ErrorCode::kUnsupported,
                "the ONNX model would be " + std::to_string(bytes) +
                    " bytes; protobuf files stop at 2 GiB (external data is not written)");
  }
  std::string out;
  if (!model.SerializeToString(&out)) {
    throw_error(ErrorCode::kInternal, "the ONNX model could not be serialized");
  }
  return out;
}

void export_onnx_file(const Graph& graph, const std::string& path, ExportStats* stats) {
  std::string bytes;
  try {
    bytes = export_onnx(graph, stats);
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw_error(ErrorCode::kIo, path + ": cannot open for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw_error(ErrorCode::kIo, path + ": write failed");
}

}  // namespace lowp::onnx_frontend
