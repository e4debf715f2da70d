#include "frontends/onnx/tensor_proto.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "lowp/error.h"

namespace lowp::onnx_frontend {
namespace fs = std::filesystem;

DataType from_onnx_dtype(int t) {
  switch (t) {
    case onnx::TensorProto_DataType_FLOAT:
      return DataType::kF32;
    case onnx::TensorProto_DataType_FLOAT16:
      return DataType::kF16;
    case onnx::TensorProto_DataType_BFLOAT16:
      return DataType::kBF16;
    case onnx::TensorProto_DataType_INT8:
      return DataType::kS8;
    case onnx::TensorProto_DataType_UINT8:
      return DataType::kU8;
    case onnx::TensorProto_DataType_INT32:
      return DataType::kS32;
    case onnx::TensorProto_DataType_INT64:
      return DataType::kS64;
    case onnx::TensorProto_DataType_BOOL:
      return DataType::kBool;
    default:
      return DataType::kUndefined;
  }
}

int to_onnx_dtype(DataType t) {
  switch (t) {
    case DataType::kF32:
      return onnx::TensorProto_DataType_FLOAT;
    case DataType::kF16:
      return onnx::TensorProto_DataType_FLOAT16;
    case DataType::kBF16:
      return onnx::TensorProto_DataType_BFLOAT16;
    case DataType::kS8:
      return onnx::TensorProto_DataType_INT8;
    case DataType::kU8:
      return onnx::TensorProto_DataType_UINT8;
    case DataType::kS32:
      return onnx::TensorProto_DataType_INT32;
    case DataType::kS64:
      return onnx::TensorProto_DataType_INT64;
    case DataType::kBool:
      return onnx::TensorProto_DataType_BOOL;
    default:
      return onnx::TensorProto_DataType_UNDEFINED;
  }
}

namespace {

[[noreturn]] void fail(const std::string& context, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, context + ": " + what);
}

// Reads [offset, offset+length) of an external data file, refusing any path that leaves base_dir.
std::string read_external(const onnx::TensorProto& proto, const std::string& base_dir,
                          const std::string& context, size_t expected_bytes) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      if (kv.key() == "offset") offset = std::stoll(kv.value());
      if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      fail(context, "external data field '" + kv.key() + "' is not a number: " + kv.value());
    }
  }
  if (location.empty()) fail(context, "external data without a location");
  fs::path rel(location);
  if (rel.is_absolute()) fail(context, "external data path '" + location + "' is absolute");
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(base_dir.empty() ? "." : base_dir), ec);
  fs::path full = fs::weakly_canonical(base / rel, ec);
  auto [b_end, f_it] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (ec || b_end != base.end()) {
    fail(context,
         "external data path '" + location + "' leaves the model's folder " + base.string());
  }
  std::ifstream in(full, std::ios::binary);
  if (!in)
    throw_error(ErrorCode::kIo, context + ": cannot open external data file " + full.string());
  in.seekg(0, std::ios::end);
  auto file_size = static_cast<int64_t>(in.tellg());
  if (length < 0) length = static_cast<int64_t>(expected_bytes);
  // Checked before anything is allocated, written so that offset + length cannot overflow.
  if (offset < 0 || offset > file_size || length > file_size - offset) {
    fail(context, "external data range [" + std::to_string(offset) + ", +" +
                      std::to_string(length) + ") exceeds " + full.string() + " (" +
                      std::to_string(file_size) + " bytes)");
  }
  if (static_cast<size_t>(length) != expected_bytes) {
    fail(context, "external data holds " + std::to_string(length) + " bytes, the dims need " +
                      std::to_string(expected_bytes));
  }
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (in.gcount() != length) {
    throw_error(ErrorCode::kIo, context + ": short read of external data file " + full.string());
  }
  return bytes;
}

template <typename Field, typename T>
void copy_field(const Field& field, Tensor& t) {
  T* out = t.data<T>();
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<T>(field.Get(i));
}

// How many values the typed field that holds `dtype` has (-1: the type has none).
int64_t typed_field_size(const onnx::TensorProto& proto, DataType dtype) {
  switch (dtype) {
    case DataType::kF32:
      return proto.float_data_size();
    case DataType::kS64:
      return proto.int64_data_size();
    case DataType::kS32:
    case DataType::kS8:
    case DataType::kU8:
    case DataType::kBool:
    case DataType::kF16:
    case DataType::kBF16:
      return proto.int32_data_size();
    default:
      return -1;
  }
}

void copy_typed_field(const onnx::TensorProto& proto, Tensor& t) {
  switch (t.dtype()) {
    case DataType::kF32:
      return copy_field<decltype(proto.float_data()), float>(proto.float_data(), t);
    case DataType::kS64:
      return copy_field<decltype(proto.int64_data()), int64_t>(proto.int64_data(), t);
    case DataType::kS32:
      return copy_field<decltype(proto.int32_data()), int32_t>(proto.int32_data(), t);
    case DataType::kS8:
      return copy_field<decltype(proto.int32_data()), int8_t>(proto.int32_data(), t);
    case DataType::kU8:
    case DataType::kBool:
      return copy_field<decltype(proto.int32_data()), uint8_t>(proto.int32_data(), t);
    default:  // f16, bf16: the bit patterns
      return copy_field<decltype(proto.int32_data()), uint16_t>(proto.int32_data(), t);
  }
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                         const std::string& context_in) {
  std::string context =
      context_in + (proto.name().empty() ? "" : ": tensor '" + proto.name() + "'");
  DataType dtype = from_onnx_dtype(proto.data_type());
  if (dtype == DataType::kUndefined) {
    throw_error(ErrorCode::kUnsupported,
                context + ": unsupported tensor element type " + std::to_string(proto.data_type()));
  }
  Dims dims(proto.dims().begin(), proto.dims().end());
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && count > (int64_t{1} << 40) / d))
      fail(context, "invalid dims " + dims_to_string(dims));
    count *= d;
  }
  // Every size is checked against the file before the tensor is allocated: a file cannot make
  // lowp allocate what it does not hold.
  const size_t expected = static_cast<size_t>(count) * size_of(dtype);
  const bool external = proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL;
  if (external || proto.has_raw_data()) {
    std::string ext;
    const std::string* raw = &proto.raw_data();
    if (external) {
      ext = read_external(proto, base_dir, context, expected);
      raw = &ext;
    }
    if (raw->size() != expected) {
      fail(context, "holds " + std::to_string(raw->size()) + " bytes, dims " +
                        dims_to_string(dims) + " need " + std::to_string(expected));
    }
    Tensor t(dtype, dims);
    if (expected) std::memcpy(t.raw(), raw->data(), expected);
    return t;
  }
  const int64_t n = typed_field_size(proto, dtype);
  if (n < 0) fail(context, "no data");
  if (n != count) {
    fail(context, "holds " + std::to_string(n) + " values, dims " + dims_to_string(dims) +
                      " need " + std::to_string(count));
  }
  Tensor t(dtype, dims);
  copy_typed_field(proto, t);
  return t;
}

}  // namespace lowp::onnx_frontend
