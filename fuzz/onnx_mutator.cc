#include "fuzz/onnx_mutator.h"

#include <onnx/onnx_pb.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "lowp/op_schema.h"

namespace lowp::fuzz {
namespace {

using Rng = std::mt19937;

constexpr std::array<int64_t, 14> kInterestingInts{0,
                                                   1,
                                                   2,
                                                   3,
                                                   -1,
                                                   -2,
                                                   7,
                                                   64,
                                                   255,
                                                   65536,
                                                   int64_t{1} << 31,
                                                   int64_t{1} << 40,
                                                   std::numeric_limits<int64_t>::max(),
                                                   std::numeric_limits<int64_t>::min()};
const std::array<float, 10> kInterestingFloats{0.0f,
                                               -0.0f,
                                               1.0f,
                                               -1.0f,
                                               1e-40f /* denormal */,
                                               3e38f,
                                               1e30f,
                                               std::numeric_limits<float>::infinity(),
                                               -std::numeric_limits<float>::infinity(),
                                               std::numeric_limits<float>::quiet_NaN()};
const std::array<const char*, 12> kInterestingStrings{
    "",        "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "linear",
    "nearest", "cubic",  "constant",   "reflect",    "edge",  "half_pixel"};

size_t pick(Rng& rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
bool coin(Rng& rng) { return pick(rng, 2) == 0; }

int64_t mutate_int(Rng& rng, int64_t v) {
  switch (pick(rng, 3)) {
    case 0:
      return kInterestingInts[pick(rng, kInterestingInts.size())];
    case 1:  // +-1 and -v wrap (two's complement) instead of overflowing
      return static_cast<int64_t>(static_cast<uint64_t>(v) + (coin(rng) ? 1 : ~uint64_t{0}));
    default:
      return static_cast<int64_t>(uint64_t{0} - static_cast<uint64_t>(v));
  }
}
float mutate_float(Rng& rng, float v) {
  return coin(rng) ? kInterestingFloats[pick(rng, kInterestingFloats.size())] : v * -2.0f;
}

// Every TensorProto of the model: initializers and tensors inside attributes.
std::vector<onnx::TensorProto*> tensors(onnx::GraphProto& graph) {
  std::vector<onnx::TensorProto*> out;
  for (auto& t : *graph.mutable_initializer()) out.push_back(&t);
  for (auto& node : *graph.mutable_node()) {
    for (auto& attr : *node.mutable_attribute())
      if (attr.has_t()) out.push_back(attr.mutable_t());
  }
  return out;
}

// Every dim of every declared shape (graph inputs, outputs, value infos).
std::vector<onnx::TensorShapeProto_Dimension*> shape_dims(onnx::GraphProto& graph) {
  std::vector<onnx::TensorShapeProto_Dimension*> out;
  for (auto* list : {graph.mutable_input(), graph.mutable_output(), graph.mutable_value_info()}) {
    for (auto& info : *list) {
      auto* type = info.mutable_type();
      if (!type->has_tensor_type()) continue;
      for (auto& dim : *type->mutable_tensor_type()->mutable_shape()->mutable_dim())
        out.push_back(&dim);
    }
  }
  return out;
}

// The names a node input may be wired to: graph inputs, initializers, node outputs, "", unknown.
std::vector<std::string> value_names(const onnx::GraphProto& graph) {
  std::vector<std::string> names{"", "no_such_value"};
  for (const auto& v : graph.input()) names.push_back(v.name());
  for (const auto& t : graph.initializer()) names.push_back(t.name());
  for (const auto& node : graph.node())
    for (const auto& o : node.output()) names.push_back(o);
  return names;
}

void mutate_tensor(Rng& rng, onnx::TensorProto& t) {
  switch (pick(rng, 7)) {
    case 0:  // a dim: none, zero, negative, huge (data no longer matches)
      if (t.dims_size() == 0)
        t.add_dims(mutate_int(rng, 1));
      else
        t.set_dims(static_cast<int>(pick(rng, t.dims_size())), mutate_int(rng, t.dims(0)));
      break;
    case 1:
      t.set_data_type(static_cast<int32_t>(pick(rng, 18)));
      break;   // any TensorProto type
    case 2: {  // truncated or extended data
      std::string* raw = t.mutable_raw_data();
      raw->resize(raw->empty() ? pick(rng, 64) : pick(rng, raw->size() * 2 + 1));
      break;
    }
    case 3: {  // one value made interesting (a scale of 0, NaN, inf; a zero point of 255 ...)
      std::string* raw = t.mutable_raw_data();
      if (raw->size() >= 4 && t.data_type() == onnx::TensorProto::FLOAT) {
        float v = mutate_float(rng, 1.0f);
        std::memcpy(raw->data() + 4 * pick(rng, raw->size() / 4), &v, 4);
      } else if (!raw->empty()) {
        (*raw)[pick(rng, raw->size())] = static_cast<char>(mutate_int(rng, 0));
      } else if (t.float_data_size() > 0) {
        t.set_float_data(static_cast<int>(pick(rng, t.float_data_size())), mutate_float(rng, 1));
      } else if (t.int64_data_size() > 0) {
        t.set_int64_data(static_cast<int>(pick(rng, t.int64_data_size())), mutate_int(rng, 0));
      }
      break;
    }
    case 4: {  // external data, inside or outside the model's folder, offsets past the end
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      const std::array<const char*, 4> locations{"weights.bin", "../../etc/passwd", "/dev/zero",
                                                 "model.onnx"};
      auto add = [&](const char* key, const std::string& value) {
        auto* e = t.add_external_data();
        e->set_key(key);
        e->set_value(value);
      };
      add("location", locations[pick(rng, locations.size())]);
      if (coin(rng)) add("offset", std::to_string(mutate_int(rng, 0)));
      if (coin(rng)) add("length", std::to_string(mutate_int(rng, 16)));
      break;
    }
    case 5:
      t.clear_raw_data();
      break;  // declared dims, no data at all
    default:
      t.clear_dims();
      for (int i = 0, n = static_cast<int>(pick(rng, 5)); i < n; ++i)
        t.add_dims(mutate_int(rng, 1));
      break;
  }
}

void mutate_attribute(Rng& rng, onnx::AttributeProto& a) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      a.set_i(mutate_int(rng, a.i()));
      break;
    case onnx::AttributeProto::FLOAT:
      a.set_f(mutate_float(rng, a.f()));
      break;
    case onnx::AttributeProto::STRING:
      a.set_s(kInterestingStrings[pick(rng, kInterestingStrings.size())]);
      break;
    case onnx::AttributeProto::INTS:
      if (a.ints_size() == 0 || pick(rng, 4) == 0)
        a.add_ints(mutate_int(rng, 1));
      else if (pick(rng, 4) == 0)
        a.mutable_ints()->RemoveLast();
      else
        a.set_ints(static_cast<int>(pick(rng, a.ints_size())), mutate_int(rng, a.ints(0)));
      break;
    case onnx::AttributeProto::FLOATS:
      if (a.floats_size() == 0)
        a.add_floats(mutate_float(rng, 1));
      else
        a.set_floats(static_cast<int>(pick(rng, a.floats_size())), mutate_float(rng, 1));
      break;
    case onnx::AttributeProto::TENSOR:
      mutate_tensor(rng, *a.mutable_t());
      break;
    default:
      a.set_type(static_cast<onnx::AttributeProto::AttributeType>(pick(rng, 15)));
      break;
  }
  if (pick(rng, 8) == 0)  // the right name with the wrong type
    a.set_type(static_cast<onnx::AttributeProto::AttributeType>(1 + pick(rng, 8)));
}

void mutate_node(Rng& rng, onnx::GraphProto& graph, onnx::NodeProto& node) {
  switch (pick(rng, 6)) {
    case 0:
      if (node.attribute_size() > 0) {
        mutate_attribute(
            rng, *node.mutable_attribute(static_cast<int>(pick(rng, node.attribute_size()))));
        break;
      }
      [[fallthrough]];
    case 1: {  // an attribute it may not expect, of a name some op knows
      const std::array<const char*, 8> names{"axis",         "axes",  "pads", "strides",
                                             "kernel_shape", "group", "perm", "mode"};
      auto* a = node.add_attribute();
      a->set_name(names[pick(rng, names.size())]);
      a->set_type(coin(rng) ? onnx::AttributeProto::INT : onnx::AttributeProto::INTS);
      mutate_attribute(rng, *a);
      break;
    }
    case 2: {  // rewire an input
      const std::vector<std::string> names = value_names(graph);
      const std::string& name = names[pick(rng, names.size())];
      if (node.input_size() == 0 || pick(rng, 4) == 0)
        node.add_input(name);
      else
        node.set_input(static_cast<int>(pick(rng, node.input_size())), name);
      break;
    }
    case 3:
      if (node.input_size() > 0) node.mutable_input()->RemoveLast();
      break;
    case 4: {  // another op of those lowp knows
      static const std::vector<std::string> ops = supported_op_types();
      node.set_op_type(ops[pick(rng, ops.size())]);
      break;
    }
    default:  // an output renamed onto an existing value (two producers) or a fresh one
      if (node.output_size() > 0) {
        const std::vector<std::string> names = value_names(graph);
        node.set_output(static_cast<int>(pick(rng, node.output_size())),
                        names[pick(rng, names.size())]);
      }
      break;
  }
}

void mutate_graph(Rng& rng, onnx::ModelProto& model) {
  onnx::GraphProto& graph = *model.mutable_graph();
  switch (pick(rng, 8)) {
    case 0:
    case 1:
    case 2:
      if (graph.node_size() > 0) {
        mutate_node(rng, graph,
                    *graph.mutable_node(static_cast<int>(pick(rng, graph.node_size()))));
        return;
      }
      break;
    case 3: {
      std::vector<onnx::TensorProto*> all = tensors(graph);
      if (!all.empty()) return mutate_tensor(rng, *all[pick(rng, all.size())]);
      break;
    }
    case 4: {
      std::vector<onnx::TensorShapeProto_Dimension*> dims = shape_dims(graph);
      if (!dims.empty()) {
        auto* dim = dims[pick(rng, dims.size())];
        if (coin(rng))
          dim->set_dim_value(mutate_int(rng, dim->dim_value()));
        else
          dim->set_dim_param("N");
        return;
      }
      break;
    }
    case 5:  // a node duplicated (same outputs: two producers) or dropped
      if (graph.node_size() > 0) {
        const int i = static_cast<int>(pick(rng, graph.node_size()));
        if (coin(rng))
          *graph.add_node() = graph.node(i);
        else
          graph.mutable_node()->DeleteSubrange(i, 1);
        return;
      }
      break;
    case 6: {  // an intermediate value (or nothing known) made a graph output
      const std::vector<std::string> names = value_names(graph);
      auto* out = graph.add_output();
      out->set_name(names[pick(rng, names.size())]);
      return;
    }
    default:
      break;
  }
  if (model.opset_import_size() == 0) model.add_opset_import();
  const std::array<int64_t, 9> opsets{1, 6, 7, 11, 13, 17, 18, 21, 99};
  model.mutable_opset_import(0)->set_version(opsets[pick(rng, opsets.size())]);
}

}  // namespace

size_t mutate_onnx_model(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size)) || !model.has_graph()) return 0;
  Rng rng(seed);
  // Mostly one change (a model that stays nearly valid reaches the deep checks), sometimes 2-4.
  for (size_t i = 0, n = pick(rng, 4) == 0 ? 2 + pick(rng, 3) : 1; i < n; ++i)
    mutate_graph(rng, model);
  const size_t out_size = model.ByteSizeLong();
  if (out_size > max_size || !model.SerializeToArray(data, static_cast<int>(max_size))) return 0;
  return out_size;
}

}  // namespace lowp::fuzz
