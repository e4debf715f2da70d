// Helpers of the ONNX exporter: element types, value infos, tensors and int8 form.
#include "frontends/onnx/onnx_export_util.h"

#include <string>

#include "frontends/onnx/tensor_proto.h"
#include "lowp/error.h"

namespace lowp::onnx_frontend {

bool is_integer_storage(DataType t) {
  return t == DataType::kS8 || t == DataType::kU8 || t == DataType::kS32;
}

// A Value in int8 form (DESIGN.md "Precision in the IR"): an integer tensor with QuantParams.
bool is_quantized(const Value* v) { return v && v->quant && is_integer_storage(v->dtype); }

bool per_axis(const QuantParams& q) { return q.axis >= 0 && q.scales.size() > 1; }

int onnx_type(DataType t, const std::string& what) {
  const int type = to_onnx_dtype(t);
  if (type == onnx::TensorProto_DataType_UNDEFINED) {
    throw_error(ErrorCode::kUnsupported,
                what + " has element type " + name_of(t) + ", which ONNX cannot hold");
  }
  return type;
}

void fill_tensor(const Tensor& t, const std::string& name, onnx::TensorProto& p) {
  p.set_name(name);
  p.set_data_type(onnx_type(t.dtype(), "tensor '" + name + "'"));
  for (int64_t d : t.dims()) p.add_dims(d);
  if (t.bytes() == 0) return;
  if (t.raw() == nullptr) {
    throw_error(ErrorCode::kInternal, "tensor '" + name + "' has no data");
  }
  p.set_raw_data(t.raw(), t.bytes());
}

void fill_value_info(const Value& v, onnx::ValueInfoProto& info) {
  info.set_name(v.name);
  auto* tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx_type(v.dtype, "value '" + v.name + "'"));
  if (!v.shape.has_rank()) return;
  auto* shape = tensor->mutable_shape();
  for (const Dim& d : v.shape.dims()) {
    auto* dim = shape->add_dim();
    if (d.known()) {
      dim->set_dim_value(d.size);
    } else if (!d.symbol.empty()) {
      dim->set_dim_param(d.symbol);
    }
  }
}

Tensor scalar_tensor(DataType dtype, float value) {
  Tensor t = Tensor::scalar(value);
  return dtype == DataType::kF32 ? t : t.cast(dtype);
}

}  // namespace lowp::onnx_frontend
