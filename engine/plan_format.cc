#include "engine/plan_format.h"

#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/atomic_file.h"
#include "lowp/error.h"
#include "lowp/graph_verifier.h"

namespace lowp {
namespace {

constexpr char kMagic[8] = {'L', 'O', 'W', 'P', 'P', 'L', 'A', 'N'};
constexpr size_t kHeaderSize = 64;

// Attribute kinds as stored (stable numbers).
enum class AttrKind : uint8_t {
  kInt = 0,
  kFloat = 1,
  kString = 2,
  kInts = 3,
  kFloats = 4,
  kStrings = 5,
  kTensor = 6
};

class Writer {
 public:
  std::string bytes;
  template <typename T>
  void pod(T v) {
    bytes.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes.append(s);
  }
  void align64() { bytes.append((64 - bytes.size() % 64) % 64, '\0'); }
  void tensor(const Tensor& t) {
    pod<uint8_t>(static_cast<uint8_t>(t.dtype()));
    pod<uint64_t>(t.dims().size());
    for (int64_t d : t.dims()) pod<int64_t>(d);
    pod<uint64_t>(t.bytes());
    align64();
    bytes.append(static_cast<const char*>(t.raw()), t.bytes());
  }
};

class Reader {
 public:
  Reader(const char* data, size_t size, std::string path, std::shared_ptr<const void> owner)
      : data_(data), size_(size), path_(std::move(path)), owner_(std::move(owner)) {}
  template <typename T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    auto n = pod<uint64_t>();
    need(n);
    std::string s(data_ + pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items of at least `min_item` bytes each: never more than the bytes left hold.
  uint64_t count(uint64_t max = 1u << 24, uint64_t min_item = 1) {
    auto n = pod<uint64_t>();
    if (n > max || n > (size_ - pos_) / min_item) corrupt("implausible count " + std::to_string(n));
    return n;
  }
  DataType dtype() {
    auto d = pod<uint8_t>();
    if (d == 0 || d >= kNumDataTypes) corrupt("unknown data type " + std::to_string(d));
    return static_cast<DataType>(d);
  }
  Tensor tensor() {
    DataType dt = dtype();
    Dims dims(count(16));
    uint64_t elements = 1;
    for (auto& d : dims) {
      d = pod<int64_t>();
      if (d < 0) corrupt("negative dimension");
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements)) {
        corrupt("tensor too large");
      }
    }
    auto nbytes = pod<uint64_t>();
    uint64_t expected = 0;
    if (__builtin_mul_overflow(elements, static_cast<uint64_t>(size_of(dt)), &expected) ||
        nbytes != expected) {
      corrupt("tensor size mismatch");
    }
    need((64 - pos_ % 64) % 64);  // alignment padding, inside the data
    pos_ += (64 - pos_ % 64) % 64;
    need(nbytes);
    // Views the plan buffer in place: no copy of the weights.
    Tensor t = Tensor::view(dt, dims, const_cast<char*>(data_ + pos_), owner_);
    pos_ += nbytes;
    return t;
  }
  [[noreturn]] void corrupt(const std::string& what) const {
    throw_error(ErrorCode::kInvalidModel, path_ + ": corrupt plan file (" + what + ")");
  }
  bool at_end() const { return pos_ == size_; }

 private:
  void need(uint64_t n) const {
    if (pos_ > size_ || n > size_ - pos_) corrupt("unexpected end of data");
  }
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string path_;
  std::shared_ptr<const void> owner_;
};

void write_attribute(Writer& w, const Attribute& a) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          w.pod(AttrKind::kInt);
          w.pod<int64_t>(x);
        } else if constexpr (std::is_same_v<T, float>) {
          w.pod(AttrKind::kFloat);
          w.pod<float>(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.pod(AttrKind::kString);
          w.str(x);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          w.pod(AttrKind::kInts);
          w.pod<uint64_t>(x.size());
          for (auto v : x) w.pod<int64_t>(v);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          w.pod(AttrKind::kFloats);
          w.pod<uint64_t>(x.size());
          for (auto v : x) w.pod<float>(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          w.pod(AttrKind::kStrings);
          w.pod<uint64_t>(x.size());
          for (const auto& v : x) w.str(v);
        } else {
          w.pod(AttrKind::kTensor);
          w.tensor(x);
        }
      },
      a);
}

Attribute read_attribute(Reader& r) {
  auto kind = r.pod<uint8_t>();
  switch (static_cast<AttrKind>(kind)) {
    case AttrKind::kInt:
      return r.pod<int64_t>();
    case AttrKind::kFloat:
      return r.pod<float>();
    case AttrKind::kString:
      return r.str();
    case AttrKind::kInts: {
      std::vector<int64_t> v(r.count());
      for (auto& x : v) x = r.pod<int64_t>();
      return v;
    }
    case AttrKind::kFloats: {
      std::vector<float> v(r.count());
      for (auto& x : v) x = r.pod<float>();
      return v;
    }
    case AttrKind::kStrings: {
      std::vector<std::string> v(r.count());
      for (auto& x : v) x = r.str();
      return v;
    }
    case AttrKind::kTensor:
      return r.tensor().clone();
  }
  r.corrupt("unknown attribute kind " + std::to_string(kind));
}

void write_activation(Writer& w, const FusedActivation& a) {
  w.pod<uint8_t>(static_cast<uint8_t>(a.kind));
  for (float f : {a.slope, a.lo, a.hi, a.alpha, a.beta}) w.pod<float>(f);
}

FusedActivation read_activation(Reader& r) {
  FusedActivation a;
  const auto kind = r.pod<uint8_t>();
  if (kind >= kNumActivationKinds) r.corrupt("unknown fused activation");
  a.kind = static_cast<ActivationKind>(kind);
  for (float* f : {&a.slope, &a.lo, &a.hi, &a.alpha, &a.beta}) *f = r.pod<float>();
  return a;
}

// Version 1 and 2 plans carried the fused activation as the attributes `_activation` (op type),
// `_alpha` (LeakyRelu's slope, Clip's minimum, HardSigmoid's alpha) and `_beta`.
FusedActivation take_legacy_activation(Node& n) {
  auto attr = n.attributes.find("_activation");
  if (attr == n.attributes.end()) return {};
  const auto* op = std::get_if<std::string>(&attr->second);
  const auto kind = op ? activation_kind(*op) : std::nullopt;
  if (!kind) {
    throw_error(ErrorCode::kInvalidModel,
                n.describe() + ": plan is corrupt (unknown fused activation)");
  }
  FusedActivation a = FusedActivation::of(*kind);
  const bool has_alpha = n.has_attr("_alpha");
  const bool has_beta = n.has_attr("_beta");
  const float alpha = n.attr_float("_alpha", 0.f);
  const float beta = n.attr_float("_beta", 0.f);
  if (*kind == ActivationKind::kLeakyRelu && has_alpha) a.slope = alpha;
  if (*kind == ActivationKind::kClip && has_alpha) a.lo = alpha;
  if (*kind == ActivationKind::kClip && has_beta) a.hi = beta;
  if (*kind == ActivationKind::kHardSigmoid && has_alpha) a.alpha = alpha;
  if (*kind == ActivationKind::kHardSigmoid && has_beta) a.beta = beta;
  for (const char* key : {"_activation", "_alpha", "_beta"}) n.attributes.erase(key);
  return a;
}

// A version 2 node's attributes: its own plus the fused activation spelled as attributes.
std::map<std::string, Attribute> legacy_attributes(const Node& n) {
  std::map<std::string, Attribute> attributes = n.attributes;
  const FusedActivation& a = n.activation;
  if (!a.present()) return attributes;
  attributes["_activation"] = std::string(activation_op_type(a.kind));
  if (a.kind == ActivationKind::kLeakyRelu) attributes["_alpha"] = a.slope;
  if (a.kind == ActivationKind::kClip) attributes["_alpha"] = a.lo;
  if (a.kind == ActivationKind::kClip) attributes["_beta"] = a.hi;
  if (a.kind == ActivationKind::kHardSigmoid) attributes["_alpha"] = a.alpha;
  if (a.kind == ActivationKind::kHardSigmoid) attributes["_beta"] = a.beta;
  return attributes;
}

std::string payload_of(const Graph& g, const CompileOptions& options,
                       const std::map<std::string, std::string>& tactics, uint32_t version) {
  Writer w;
  // Device in the low bits; bit 7: CUDA fp32 may use TF32 tensor cores.
  w.pod<uint8_t>(
      static_cast<uint8_t>(static_cast<uint8_t>(options.device) | (options.allow_tf32 ? 0x80 : 0)));
  w.pod<uint8_t>(static_cast<uint8_t>(options.precision));
  w.str(g.name);
  w.pod<int64_t>(g.opset);
  std::map<const Value*, uint64_t> index;
  w.pod<uint64_t>(g.values().size());
  for (const auto& v : g.values()) {
    index[v.get()] = index.size();
    w.str(v->name);
    w.pod<uint8_t>(static_cast<uint8_t>(v->dtype));
    w.pod<uint8_t>(v->shape.has_rank());
    w.pod<uint64_t>(v->shape.rank());
    for (const Dim& d : v->shape.dims()) {
      w.pod<int64_t>(d.size);
      w.str(d.symbol);
    }
    w.pod<uint8_t>(v->quant.has_value());
    if (v->quant) {
      w.pod<uint64_t>(v->quant->scales.size());
      for (float s : v->quant->scales) w.pod<float>(s);
      for (int32_t z : v->quant->zero_points) w.pod<int32_t>(z);
      w.pod<int32_t>(v->quant->axis);
      w.pod<uint8_t>(static_cast<uint8_t>(v->quant->storage));
    }
    w.pod<uint8_t>(v->constant != nullptr);
    if (v->constant) w.tensor(*v->constant);
  }
  constexpr uint64_t kNone = ~uint64_t{0};
  auto ref = [&](const Value* v) { w.pod<uint64_t>(v ? index.at(v) : kNone); };
  w.pod<uint64_t>(g.nodes().size());
  for (const auto& n : g.nodes()) {
    w.str(n->name);
    w.str(n->op_type);
    w.pod<uint64_t>(n->inputs.size());
    for (const Value* v : n->inputs) ref(v);
    w.pod<uint64_t>(n->outputs.size());
    for (const Value* v : n->outputs) ref(v);
    const auto attributes = version >= 3 ? n->attributes : legacy_attributes(*n);
    w.pod<uint64_t>(attributes.size());
    for (const auto& [k, a] : attributes) {
      w.str(k);
      write_attribute(w, a);
    }
    if (version >= 3) write_activation(w, n->activation);
  }
  w.pod<uint64_t>(g.inputs.size());
  for (const Value* v : g.inputs) ref(v);
  w.pod<uint64_t>(g.outputs.size());
  for (const Value* v : g.outputs) ref(v);
  if (tactics.size() > kMaxTactics) {
    throw_error(ErrorCode::kInvalidArgument,
                "too many backend tactics to save (" + std::to_string(tactics.size()) + ")");
  }
  w.pod<uint64_t>(tactics.size());
  for (const auto& [key, value] : tactics) {
    w.str(key);
    w.str(value);
  }
  if (version >= 4) w.str(options.preprocessing ? to_string(*options.preprocessing) : "");
  return std::move(w.bytes);
}

LoadedPlan parse_payload(Reader& r, uint32_t version) {
  LoadedPlan plan;
  plan.graph = std::make_shared<Graph>();
  Graph& g = *plan.graph;
  const auto device_byte = r.pod<uint8_t>();
  const auto device = device_byte & 0x7f;
  auto precision = r.pod<uint8_t>();
  if (device > 1 || precision > 3) r.corrupt("unknown device or precision");
  plan.options.allow_tf32 = (device_byte & 0x80) != 0;
  plan.options.device = static_cast<Device>(device);
  plan.options.precision = static_cast<Precision>(precision);
  g.name = r.str();
  g.opset = r.pod<int64_t>();
  std::vector<Value*> values(r.count());
  for (auto& slot : values) {
    std::string name = r.str();
    auto dt = r.pod<uint8_t>();
    if (dt >= kNumDataTypes) r.corrupt("unknown data type");
    bool has_rank = r.pod<uint8_t>();
    std::vector<Dim> dims(r.count(64));
    for (auto& d : dims) {
      d.size = r.pod<int64_t>();
      d.symbol = r.str();
    }
    if (g.find_value(name)) r.corrupt("value '" + name + "' defined twice");
    slot = g.add_value(name, static_cast<DataType>(dt), has_rank ? Shape(dims) : Shape());
    if (r.pod<uint8_t>()) {
      QuantParams q;
      size_t n = r.count();
      q.scales.resize(n);
      q.zero_points.resize(n);
      for (auto& s : q.scales) s = r.pod<float>();
      for (auto& z : q.zero_points) z = r.pod<int32_t>();
      q.axis = r.pod<int32_t>();
      q.storage = r.dtype();
      slot->quant = q;
    }
    if (r.pod<uint8_t>()) slot->constant = std::make_shared<const Tensor>(r.tensor());
  }
  constexpr uint64_t kNone = ~uint64_t{0};
  auto deref = [&]() -> Value* {
    auto i = r.pod<uint64_t>();
    if (i == kNone) return nullptr;
    if (i >= values.size()) r.corrupt("value index out of range");
    return values[i];
  };
  size_t node_count = r.count();
  for (size_t k = 0; k < node_count; ++k) {
    std::string name = r.str();
    std::string op = r.str();
    std::vector<Value*> ins(r.count(1024));
    for (auto& v : ins) v = deref();
    std::vector<Value*> outs(r.count(1024));
    for (auto& v : outs) v = deref();
    for (const Value* v : outs) {
      if (v && v->producer) r.corrupt("value '" + v->name + "' produced twice");
    }
    Node* n = g.add_node(op, name, ins, outs);
    size_t attrs = r.count(1024);
    for (size_t a = 0; a < attrs; ++a) {
      std::string key = r.str();
      n->attributes[key] = read_attribute(r);
    }
    n->activation = version >= 3 ? read_activation(r) : take_legacy_activation(*n);
  }
  g.inputs.resize(r.count(1024));
  for (auto& v : g.inputs) {
    v = deref();
    if (!v) r.corrupt("missing graph input");
  }
  g.outputs.resize(r.count(1024));
  for (auto& v : g.outputs) {
    v = deref();
    if (!v) r.corrupt("missing graph output");
  }
  if (version >= 2) {
    const size_t tactics = r.count(kMaxTactics, 16);  // two string lengths each
    for (size_t i = 0; i < tactics; ++i) {
      std::string key = r.str();
      plan.tactics[key] = r.str();
    }
  }
  if (version >= 4) {
    const std::string preprocessing = r.str();
    try {
      if (!preprocessing.empty()) plan.options.preprocessing = parse_preprocessing(preprocessing);
    } catch (const Error& e) {
      r.corrupt(e.what());
    }
  }
  if (!r.at_end()) r.corrupt("trailing bytes");
  return plan;
}

}  // namespace

void write_plan(const std::string& path, const Graph& graph, const CompileOptions& options,
                const std::map<std::string, std::string>& tactics, uint32_t version) {
  if (version < 2 || version > kPlanVersion) {
    throw_error(ErrorCode::kInvalidArgument,
                path + ": cannot write plan format version " + std::to_string(version));
  }
  std::string payload = payload_of(graph, options, tactics, version);
  char header[kHeaderSize] = {};
  std::memcpy(header, kMagic, 8);
  uint32_t header_size = kHeaderSize;
  uint64_t size = payload.size();
  uint64_t checksum = XXH3_64bits(payload.data(), payload.size());
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &header_size, 4);
  std::memcpy(header + 16, &size, 8);
  std::memcpy(header + 24, &checksum, 8);
  write_file_atomically(path, std::string(header, kHeaderSize) + payload);
}

LoadedPlan read_plan(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw_error(ErrorCode::kIo, path + ": no such file");
  auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw_error(ErrorCode::kIo, path + ": cannot read size");
  if (file_size < kHeaderSize) {
    throw_error(ErrorCode::kInvalidModel, path + ": not a lowp plan (file too short for a header)");
  }
  size_t padded = (file_size + 63) / 64 * 64;
  void* mem = std::aligned_alloc(64, padded);
  if (!mem) throw_error(ErrorCode::kInternal, path + ": out of memory");
  std::shared_ptr<void> buffer(mem, [](void* p) { std::free(p); });
  std::ifstream in(path, std::ios::binary);
  in.read(static_cast<char*>(mem), static_cast<std::streamsize>(file_size));
  if (!in) throw_error(ErrorCode::kIo, path + ": read failed");
  const char* bytes = static_cast<const char*>(mem);
  if (std::memcmp(bytes, kMagic, 8) != 0) {
    throw_error(ErrorCode::kInvalidModel,
                path + ": not a lowp plan (bad magic; is it an ONNX file?)");
  }
  uint32_t version, header_size;
  uint64_t size, checksum;
  std::memcpy(&version, bytes + 8, 4);
  std::memcpy(&header_size, bytes + 12, 4);
  std::memcpy(&size, bytes + 16, 8);
  std::memcpy(&checksum, bytes + 24, 8);
  if (version < 1 || version > kPlanVersion) {
    throw_error(ErrorCode::kInvalidModel,
                path + ": plan format version " + std::to_string(version) +
                    " is not supported by this lowp (expects " + std::to_string(kPlanVersion) +
                    "); recompile the model");
  }
  if (header_size != kHeaderSize || size != file_size - kHeaderSize) {
    throw_error(ErrorCode::kInvalidModel,
                path + ": plan file is truncated or has trailing data (header says " +
                    std::to_string(size) + " payload bytes, file has " +
                    std::to_string(file_size - kHeaderSize) + ")");
  }
  const char* payload = bytes + kHeaderSize;
  if (XXH3_64bits(payload, size) != checksum)
    throw_error(ErrorCode::kInvalidModel, path + ": plan checksum mismatch (file corrupted)");
  Reader r(payload, size, path, buffer);
  LoadedPlan plan = parse_payload(r, version);
  // The checksum finds corruption, not intent: the graph gets the checks a compiled one passes
  // (structure, quantization parameters against dims, every node's shape inference) before
  // anything runs it.
  try {
    verify_graph(*plan.graph, "loading a plan");
  } catch (const Error& e) {
    throw_error(ErrorCode::kInvalidModel, path + ": the plan's graph is inconsistent: " + e.what());
  }
  return plan;
}

}  // namespace lowp
