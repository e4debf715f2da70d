// lowp public C++ API.
//
//   auto engine = lowp::Engine::compile_onnx("resnet18.onnx", {});   // or Engine::load_plan(...)
//   engine->save_plan("resnet18.plan");
//   auto session = engine->create_session();                       // one per thread
//   session->run({{"input", input_view}}, {{"logits", output_view}}); // caller-owned buffers
//
// An Engine is immutable after creation and may be shared by any number of threads; each thread
// uses its own Session. Every failure is reported as lowp::Error (see lowp/error.h) whose message
// names the file, node, op type and opset involved.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lowp/dtype.h"
#include "lowp/error.h"
#include "lowp/tensor.h"

namespace lowp {

class Graph;
class CompiledModel;
class ExecutionContext;
struct EngineVariant;

enum class Device { kCpu, kCuda };
enum class Precision { kFp32, kFp16, kBf16, kInt8 };
const char* device_name(Device device);
const char* precision_name(Precision precision);
Precision parse_precision(const std::string& name);  // throws on unknown
Device parse_device(const std::string& name);

// Where calibration batches come from: the library asks for batches until it returns false.
// The `lowp` command provides image folders, .npy files, Fashion-MNIST idx files and random noise.
class CalibrationSource {
 public:
  virtual ~CalibrationSource() = default;
  // Fills `inputs` (one tensor per model input, in Engine::inputs() order) with the next batch.
  virtual bool next(std::vector<Tensor>& inputs) = 0;
  virtual std::string describe() const = 0;  // "512 images from data/calib (fashion)"
};

enum class Calibrator { kMinMax, kPercentile, kEntropy, kMse };
const char* calibrator_name(Calibrator calibrator);
Calibrator parse_calibrator(const std::string& name);

struct CalibrationOptions {
  std::shared_ptr<CalibrationSource> source;  // required for int8 unless cache_path exists
  // mse by default (as PyTorch's histogram observer): on the Fashion ResNet-18 it gave the best
  // accuracy and the smallest probability changes of the four (BENCHMARKS.md).
  Calibrator calibrator = Calibrator::kMse;
  double percentile = 99.99;
  std::string cache_path;              // read if it exists, else written after calibrating
  bool symmetric_activations = false;  // s8 symmetric instead of u8 with a zero point
};

struct CompileOptions {
  Device device = Device::kCpu;
  Precision precision = Precision::kFp32;
  int threads = 0;       // 0: all cores
  bool verbose = false;  // log what each pass changed to stderr
  std::vector<std::string> disabled_passes;
  // Nodes (by name or op type) that stay fp32 whatever the precision.
  std::vector<std::string> keep_fp32;
  // fp16: keep fp32 graph inputs and outputs (cast at the edges) instead of taking fp16 as is.
  bool keep_io_types = false;
  // CUDA fp32: let GEMMs and convolutions use TF32 tensor cores (10-bit mantissa inputs). Off by
  // default so fp32 means fp32.
  bool allow_tf32 = false;
  // CUDA: batch sizes to choose tactics (cuBLASLt algorithms, cuDNN or GEMM per convolution) for
  // at compile time, besides batch 1, like the shapes of TensorRT's optimization profile: a plan
  // saved afterwards runs them without searching. Other batch sizes are tuned on first use. Each
  // sets every input whose first dimension is dynamic; the CPU backend ignores them.
  std::vector<int64_t> tune_batch_sizes;
  // CUDA: the GPU (device ordinal) the engine runs on; -1: the device current on the thread that
  // compiles. Sessions run there whatever device their calling thread has current. Not stored in
  // plans (RuntimeOptions::cuda_device picks it when loading).
  int cuda_device = -1;
  CalibrationOptions calibration;  // int8 (and fp16 range checks)
  // Compiled programs an engine keeps, least recently used evicted: one per set of input dims (and
  // per value of inputs whose contents decide shapes). Bounds memory when callers vary shapes.
  size_t program_cache_size = 16;
  // Check the graph after import and after every pass (lowp/graph_verifier.h): a pass that breaks
  // the IR fails there, naming it. Costs one shape inference per pass.
  bool verify = false;
  // Called with each pass's name and the graph after it (and "import" first); for tools that show
  // the IR at a point of the pipeline (`lowp inspect --after-pass`). Not kept by the engine.
  std::function<void(const std::string& stage, const Graph& graph)> after_each_pass;
};

struct RuntimeOptions {
  int threads = 0;  // 0: all cores
  // Run a plan on another device than it was compiled for (plans hold the graph, not kernels).
  std::optional<Device> device;
  // CUDA: the GPU to load the plan on (see CompileOptions::cuda_device); -1: the current one.
  int cuda_device = -1;
  size_t program_cache_size = 16;  // see CompileOptions::program_cache_size
};

// Name, element type and dims of a model input or output; -1 marks a dynamic dimension.
struct TensorDesc {
  std::string name;
  DataType dtype = DataType::kF32;
  Dims dims;
};

// Where a bound buffer lives. kCuda: device memory of the engine's GPU (an engine compiled for
// Device::kCuda reads and writes it there, no host staging); all bindings of one run must agree.
enum class MemoryKind { kHost, kCuda };

// A caller-owned buffer bound to a named input or output: lowp reads / writes it in place.
struct TensorBinding {
  std::string name;
  Tensor tensor;  // usually Tensor::view(...) over the caller's memory
  MemoryKind memory = MemoryKind::kHost;
};

// True when this build of lowp includes the CUDA backend (whether or not a GPU is present).
bool has_cuda_backend();
// Number of CUDA devices this build can use: 0 when it was built without the CUDA backend
// (LOWP_CUDA=OFF) or no device / driver is present.
int cuda_device_count();
// Why cuda_device_count() is 0 ("" when it is not): for messages and skipped tests.
std::string cuda_unavailable_reason();

class Session;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  static std::shared_ptr<const Engine> compile_onnx(const std::string& onnx_path,
                                                    const CompileOptions& options = {});
  static std::shared_ptr<const Engine> compile(std::shared_ptr<Graph> graph,
                                               const CompileOptions& options = {});
  static std::shared_ptr<const Engine> load_plan(const std::string& plan_path,
                                                 const RuntimeOptions& options = {});
  ~Engine();

  void save_plan(const std::string& plan_path) const;
  const std::vector<TensorDesc>& inputs() const { return inputs_; }
  const std::vector<TensorDesc>& outputs() const { return outputs_; }
  const Graph& graph() const { return *graph_; }
  const CompileOptions& options() const { return options_; }
  // Output dims for the given input dims (in inputs() order). Throws when an output's dims depend
  // on an input's contents (see value_inputs()); Session::run(inputs) handles that case.
  std::vector<Dims> output_dims(const std::vector<Dims>& input_dims) const;
  // Names of inputs whose contents (not only dims) decide output dims, e.g. a Reshape's shape fed
  // from a graph input. The engine compiles one specialisation per distinct value of these.
  std::vector<std::string> value_inputs() const;
  std::unique_ptr<Session> create_session() const;
  // One line per node of the compiled graph: how the backend runs it.
  std::vector<std::string> describe() const;
  // One line when the device computes in another precision than the plan stores (an fp16 plan on
  // a CPU without fp16 arithmetic runs in fp32), else "".
  std::string precision_note() const;

 private:
  Engine(std::shared_ptr<Graph> graph, CompileOptions options,
         std::map<std::string, std::string> tactics = {});
  static std::shared_ptr<const Engine> compile_impl(std::shared_ptr<Graph> graph,
                                                    const CompileOptions& options);
  std::shared_ptr<const EngineVariant> variant_for(const std::vector<const Tensor*>& inputs) const;

  std::shared_ptr<Graph> graph_;
  CompileOptions options_;
  std::map<std::string, std::string> tactics_;  // backend algorithm choices read from a plan
  std::vector<TensorDesc> inputs_;
  std::vector<TensorDesc> outputs_;
  std::vector<size_t> value_inputs_;           // indices into inputs_
  std::shared_ptr<const EngineVariant> base_;  // set when value_inputs_ is empty
  // Variants compiled per value of value_inputs_, the options' program_cache_size most recently
  // used (engine.cc).
  struct VariantCache;
  mutable std::mutex variants_mutex_;
  std::unique_ptr<VariantCache> variants_;
  friend class Session;
};

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs with caller-owned inputs and outputs; no copies. Every input must be bound; outputs must
  // be bound with the dims output_dims() reports. Bindings in MemoryKind::kCuda memory are taken
  // only by CUDA engines.
  void run(const std::vector<TensorBinding>& inputs, const std::vector<TensorBinding>& outputs);
  // Convenience: allocates and returns the outputs (in engine->outputs() order).
  std::vector<Tensor> run(const std::vector<TensorBinding>& inputs);

 private:
  friend class Engine;
  explicit Session(std::shared_ptr<const Engine> engine);
  std::vector<Tensor> run_alloc_impl(const std::vector<TensorBinding>& inputs);
  void run_impl(const std::vector<TensorBinding>& inputs,
                const std::vector<TensorBinding>& outputs);
  std::shared_ptr<const Engine> engine_;
  // One context per engine variant this session has run (usually exactly one; the options'
  // program_cache_size most recently used ones, each holding its variant alive).
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
  // Output descriptions for the last (variant, input dims) seen: skips shape inference when a
  // service runs the same shapes over and over.
  std::shared_ptr<const EngineVariant> last_variant_;
  std::vector<Dims> last_input_dims_;
  std::vector<TensorDesc> last_outputs_;
};

}  // namespace lowp
