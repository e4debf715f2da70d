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
#include "lowp/options.h"
#include "lowp/tensor.h"

namespace lowp {

class Graph;
class CompiledModel;
class ExecutionContext;
struct EngineVariant;
// Device, Precision, CompileOptions, RuntimeOptions, calibration and CUDA availability:
// lowp/options.h.

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

class Session;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  static std::shared_ptr<const Engine> compile_onnx(const std::string& onnx_path,
                                                    const CompileOptions& options = {});
  // Compiles a copy of `graph` (the caller's graph is left as it was; constants are shared).
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
  // Decoded pixels -> a tensor for the first input, as options().preprocessing says (stored in
  // the plan by `lowp compile --preprocess`), or as `preprocessing` says. Throws kInvalidArgument
  // when the engine has no preprocessing, or the image or input cannot take it.
  Tensor preprocess(const ImageView& image) const;
  Tensor preprocess(const ImageView& image, const Preprocessing& preprocessing) const;
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
