#include "fuzz/fuzz_inputs.h"

#include <xxhash.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/scratch_file.h"
#include "lowp/error.h"
#include "lowp/lowp.h"
#include "lowp/op_schema.h"
#include "passes/calibration_cache.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"
#include "tools/io/npy.h"

namespace lowp::fuzz {
namespace {

// Deterministic, non-constant input data (zeros would hide every data-dependent path).
void fill_pattern(Tensor& t) {
  auto* bytes = static_cast<uint8_t*>(t.raw());
  if (t.dtype() == DataType::kF32) {
    float* f = reinterpret_cast<float*>(bytes);
    for (int64_t i = 0; i < t.numel(); ++i) f[i] = static_cast<float>((i * 37) % 17) / 8.0f - 1.0f;
    return;
  }
  // Small integers whatever the type (an index input stays in range more often than not).
  for (size_t i = 0; i < t.bytes(); ++i)
    bytes[i] = static_cast<uint8_t>(i % size_of(t.dtype()) == 0 ? i % 3 : 0);
}

// Whether every value's dims are static and one run stays within kMaxRunBytes / kMaxRunWork.
bool small_enough_to_run(const Graph& graph) {
  double bytes = 0, work = 0;
  for (const auto& value : graph.values()) {
    std::optional<Dims> dims = value->shape.concrete();
    if (!dims || value->dtype == DataType::kUndefined || !dims_problem(*dims).empty()) return false;
    bytes += static_cast<double>(element_count(*dims)) * static_cast<double>(size_of(value->dtype));
  }
  for (const auto& node : graph.nodes()) {
    std::vector<TensorInfo> ins, outs;
    for (const Value* v : node->inputs) {
      if (v)
        ins.push_back({v->dtype, *v->shape.concrete(), v->constant.get(), true});
      else
        ins.push_back({DataType::kUndefined, {}, nullptr, false});
    }
    for (const Value* v : node->outputs) outs.push_back({v->dtype, *v->shape.concrete()});
    work += estimated_work(*node, ins, outs);
  }
  return bytes <= kMaxRunBytes && work <= kMaxRunWork;
}

Outcome run_once(const Engine& engine) {
  if (!small_enough_to_run(engine.graph())) return Outcome::kAccepted;
  std::vector<Tensor> storage;
  std::vector<TensorBinding> inputs;
  for (const TensorDesc& desc : engine.inputs()) {
    storage.emplace_back(desc.dtype, desc.dims);
    fill_pattern(storage.back());
    inputs.push_back({desc.name, storage.back()});
  }
  engine.create_session()->run(inputs);
  return Outcome::kRan;
}

// One generated batch, for int8 calibration of a fuzzed model with static input shapes.
class PatternSource : public CalibrationSource {
 public:
  explicit PatternSource(std::vector<TensorDesc> inputs) : inputs_(std::move(inputs)) {}
  bool next(std::vector<Tensor>& batch) override {
    if (done_) return false;
    done_ = true;
    batch.clear();
    for (const TensorDesc& desc : inputs_) {
      batch.emplace_back(desc.dtype, desc.dims);
      fill_pattern(batch.back());
    }
    return true;
  }
  std::string describe() const override { return "one generated batch"; }

 private:
  std::vector<TensorDesc> inputs_;
  bool done_ = false;
};

// Tight limits: a fuzzer's inputs must each take well under a second.
CompileOptions fuzz_options(Precision precision) {
  CompileOptions options;
  options.precision = precision;
  options.threads = 1;
  options.folding.max_node_bytes = 16 << 20;
  options.folding.max_total_bytes = 64 << 20;
  options.folding.max_node_work = 1e8;
  options.folding.max_total_work = 4e8;
  return options;
}

}  // namespace

Outcome onnx_model(Bytes bytes) {
  const std::string path = scratch_file("model.onnx", bytes);
  Outcome outcome = Outcome::kRefused;
  try {
    // fp32 first; the other precisions from the bytes (reproducible for a regression file).
    auto engine = Engine::compile_onnx(path, fuzz_options(Precision::kFp32));
    outcome = run_once(*engine);
    switch (bytes.size() % 3) {
      case 1:
        run_once(*Engine::compile_onnx(path, fuzz_options(Precision::kBf16)));
        break;
      case 2:
        if (outcome == Outcome::kRan) {  // static shapes, small: worth calibrating
          CompileOptions options = fuzz_options(Precision::kInt8);
          options.calibration.source = std::make_shared<PatternSource>(engine->inputs());
          run_once(*Engine::compile_onnx(path, options));
        }
        break;
      default:
        break;
    }
  } catch (const Error&) {
  }
  return outcome;
}

Outcome plan(Bytes bytes) {
  std::vector<uint8_t> fixed(bytes.begin(), bytes.end());
  if (fixed.size() >= 64) {
    const uint64_t payload_size = fixed.size() - 64;
    const uint64_t checksum = XXH3_64bits(fixed.data() + 64, payload_size);
    std::memcpy(fixed.data() + 16, &payload_size, 8);
    std::memcpy(fixed.data() + 24, &checksum, 8);
  }
  const std::string path = scratch_file("model.plan", fixed);
  try {
    RuntimeOptions options;
    options.threads = 1;
    return run_once(*Engine::load_plan(path, options));
  } catch (const Error&) {
    return Outcome::kRefused;
  }
}

Outcome npy(Bytes bytes) {
  try {
    io::read_npy(scratch_file("tensor.npy", bytes));
    return Outcome::kAccepted;
  } catch (const Error&) {
    return Outcome::kRefused;
  }
}

Outcome idx(Bytes bytes) {
  const std::string path = scratch_file("data.idx", bytes);
  Outcome outcome = Outcome::kRefused;
  try {
    io::read_idx_images(path);
    outcome = Outcome::kAccepted;
  } catch (const Error&) {
  }
  try {
    io::read_idx_labels(path);
    outcome = Outcome::kAccepted;
  } catch (const Error&) {
  }
  return outcome;
}

Outcome image(Bytes bytes) {
  const std::string path = scratch_file("image.img", bytes);
  Outcome outcome = Outcome::kRefused;
  for (const char* preset : {"torchvision", "fashion"}) {
    try {
      io::load_image_preprocessed(path, preprocessing_preset(preset),
                                  {1, 3, preset[0] == 't' ? 224 : 64, preset[0] == 't' ? 224 : 64});
      outcome = Outcome::kAccepted;
    } catch (const Error&) {
    }
  }
  return outcome;
}

Outcome calibration_cache(Bytes bytes) {
  try {
    read_calibration_cache(scratch_file("calibration.json", bytes));
    return Outcome::kAccepted;
  } catch (const Error&) {
    return Outcome::kRefused;
  }
}

std::span<const Target> targets() {
  static constexpr std::array<Target, 6> kTargets{{
      {"onnx_model", onnx_model},
      {"plan", plan},
      {"npy", npy},
      {"idx", idx},
      {"image", image},
      {"calibration_cache", calibration_cache},
  }};
  return kTargets;
}

const Target* find_target(std::string_view name) {
  for (const Target& target : targets())
    if (target.name == name) return &target;
  return nullptr;
}

}  // namespace lowp::fuzz
