#include <algorithm>
#include <new>
#include <set>

#include "core/lru_cache.h"
#include "core/out_of_memory.h"
#include "engine/pass_pipeline.h"
#include "engine/plan_format.h"
#include "lowp/backend.h"
#include "lowp/graph.h"
#include "lowp/graph_verifier.h"
#include "lowp/lowp.h"
#include "lowp/op_schema.h"
#include "lowp/shape_propagation.h"
#include "reference/reference_executor.h"

namespace lowp {

namespace {

TensorDesc describe_value(const Value& v) {
  TensorDesc d{v.name, v.dtype, {}};
  for (const Dim& dim : v.shape.dims()) d.dims.push_back(dim.known() ? dim.size : -1);
  return d;
}

// The passes' context for a compile: fused forms are asked of the target backend.
PassContext pass_context(const CompileOptions& options) {
  PassContext ctx;
  ctx.verbose = options.verbose;
  ctx.verify = options.verify;
  ctx.backend_supports = options.device == Device::kCuda ? cuda_supports : cpu_supports;
  return ctx;
}

void check_supported_options(const CompileOptions& options) {
  if (options.device == Device::kCuda && options.precision == Precision::kBf16) {
    throw_error(ErrorCode::kUnsupported,
                "bf16 is a CPU option (AVX512-BF16); on CUDA use fp16 (tensor cores) or int8");
  }
  if (options.program_cache_size == 0) {
    throw_error(ErrorCode::kInvalidArgument,
                "program_cache_size is 0: an engine keeps at least the program it runs");
  }
}

}  // namespace

// A graph ready to run: the engine's own, or a copy with some inputs' values baked in.
struct EngineVariant {
  std::shared_ptr<Graph> graph;
  std::vector<size_t> runtime_inputs;  // indices into Engine::inputs() still bound at run time
  std::unique_ptr<CompiledModel> compiled;
};

struct Engine::VariantCache {
  explicit VariantCache(size_t capacity) : lru(capacity) {}
  LruCache<std::string, std::shared_ptr<const EngineVariant>> lru;
};

struct Session::Contexts {
  explicit Contexts(size_t capacity) : lru(capacity) {}
  LruCache<std::shared_ptr<const EngineVariant>, std::unique_ptr<ExecutionContext>> lru;
};

namespace {

// Graph inputs whose contents reach an input that decides output dims (OpSchema::shape_inputs).
std::vector<size_t> find_value_inputs(const Graph& g) {
  std::set<const Value*> relevant;
  for (auto it = g.nodes().rbegin(); it != g.nodes().rend(); ++it) {
    const Node& n = **it;
    bool outputs_relevant = false;
    for (const Value* out : n.outputs) outputs_relevant = outputs_relevant || relevant.count(out);
    const OpSchema* schema = find_op_schema(n.op_type);
    if (n.op_type == "Shape") continue;  // reads only its input's dims, never its contents
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      bool shape_input = schema && i < 32 && (schema->shape_inputs >> i) & 1u;
      if (n.inputs[i] && (outputs_relevant || shape_input)) relevant.insert(n.inputs[i]);
    }
  }
  std::vector<size_t> out;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    if (relevant.count(g.inputs[i])) out.push_back(i);
  }
  return out;
}

std::shared_ptr<const EngineVariant> make_variant(std::shared_ptr<Graph> graph,
                                                  std::vector<size_t> runtime_inputs,
                                                  const CompileOptions& options,
                                                  const TacticMap& tactics) {
  auto v = std::make_shared<EngineVariant>();
  v->graph = std::move(graph);
  v->runtime_inputs = std::move(runtime_inputs);
  v->compiled = options.device == Device::kCuda ? compile_for_cuda(v->graph, options, tactics)
                                                : compile_for_cpu(v->graph, options);
  return v;
}

std::vector<size_t> all_indices(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// Each output's dtype and concrete dims for the given engine input dims.
std::vector<TensorDesc> variant_outputs(const EngineVariant& v,
                                        const std::vector<Dims>& engine_input_dims) {
  std::vector<Dims> dims;
  for (size_t i : v.runtime_inputs) dims.push_back(engine_input_dims.at(i));
  std::list<Tensor> storage;
  auto known = infer_concrete(*v.graph, dims, reference::run_node, storage);
  std::vector<TensorDesc> out;
  for (const Value* o : v.graph->outputs) {
    auto it = known.find(o);
    if (it == known.end())
      throw_error(ErrorCode::kInternal, "output '" + o->name + "' dims could not be inferred");
    out.push_back(TensorDesc{o->name, it->second.dtype, it->second.dims});
  }
  return out;
}

}  // namespace

Engine::Engine(std::shared_ptr<Graph> graph, CompileOptions options,
               std::map<std::string, std::string> tactics)
    : graph_(std::move(graph)), options_(std::move(options)), tactics_(std::move(tactics)) {
  // Every backend model of this engine (value-dependent variants are compiled later, from
  // session threads) runs on the GPU current now unless one was named.
  if (options_.device == Device::kCuda && options_.cuda_device == -1) {
    options_.cuda_device = current_cuda_device();
  }
  for (const Value* v : graph_->inputs) inputs_.push_back(describe_value(*v));
  for (const Value* v : graph_->outputs) outputs_.push_back(describe_value(*v));
  value_inputs_ = find_value_inputs(*graph_);
  variants_ = std::make_unique<VariantCache>(options_.program_cache_size);
  if (value_inputs_.empty()) {
    base_ = make_variant(graph_, all_indices(inputs_.size()), options_, tactics_);
  }
}

Engine::~Engine() = default;

std::shared_ptr<const Engine> Engine::compile(std::shared_ptr<Graph> graph,
                                              const CompileOptions& options) {
  return out_of_memory_as_error("compiling '" + graph->name + "'", [&] {
    // The passes rewrite the graph: they work on a copy, never on the caller's.
    if (graph.use_count() > 1) graph = graph->clone();
    return compile_impl(std::move(graph), options);
  });
}

std::shared_ptr<const Engine> Engine::compile_impl(std::shared_ptr<Graph> graph,
                                                   const CompileOptions& options) {
  check_supported_options(options);
  // A value listed twice among the outputs would fill only one of them (the other stayed zero).
  if (const Value* twice = graph->repeated_output()) {
    throw_error(ErrorCode::kInvalidArgument,
                "graph '" + graph->name + "': output '" + twice->name + "' is listed twice");
  }
  PassContext ctx = pass_context(options);
  ctx.after_pass = options.after_each_pass;
  if (ctx.verify) verify_graph(*graph, "after import");
  if (ctx.after_pass) ctx.after_pass("import", *graph);
  run_pipeline(*graph, options, ctx);
  apply_precision(*graph, options, ctx);
  CompileOptions kept = options;
  kept.calibration = {};  // the data source is not part of the engine
  kept.after_each_pass = nullptr;
  return std::shared_ptr<Engine>(new Engine(std::move(graph), kept));
}

std::shared_ptr<const Engine> Engine::load_plan(const std::string& plan_path,
                                                const RuntimeOptions& runtime) {
  return out_of_memory_as_error("loading " + plan_path, [&] {
    LoadedPlan plan = read_plan(plan_path);
    plan.options.threads = runtime.threads;
    if (runtime.device) plan.options.device = *runtime.device;
    plan.options.cuda_device = runtime.cuda_device;
    plan.options.program_cache_size = runtime.program_cache_size;
    if (plan.options.device == Device::kCuda && !runtime.device && cuda_device_count() == 0) {
      throw_error(ErrorCode::kUnsupported,
                  plan_path + ": a CUDA plan, and this machine cannot run CUDA: " +
                      cuda_unavailable_reason() +
                      " (to run it on the CPU: RuntimeOptions::device = Device::kCpu, or "
                      "--device cpu with the lowp command)");
    }
    check_supported_options(plan.options);
    return std::shared_ptr<const Engine>(
        new Engine(std::move(plan.graph), plan.options, std::move(plan.tactics)));
  });
}

void Engine::save_plan(const std::string& plan_path) const {
  // The tactics this engine was loaded with, plus what its backend measured since.
  TacticMap tactics = tactics_;
  if (base_) {
    for (auto& [key, value] : base_->compiled->tactics()) tactics[key] = value;
  }
  write_plan(plan_path, *graph_, options_, tactics);
}

std::vector<std::string> Engine::value_inputs() const {
  std::vector<std::string> names;
  for (size_t i : value_inputs_) names.push_back(inputs_[i].name);
  return names;
}

std::vector<std::string> Engine::describe() const {
  return base_ ? base_->compiled->describe() : std::vector<std::string>{};
}

std::string Engine::precision_note() const {
  // The CUDA backend computes every precision as stored (fp16 and int8 on tensor cores).
  return options_.device == Device::kCpu ? cpu_precision_note(options_.precision) : "";
}

std::shared_ptr<const EngineVariant> Engine::variant_for(
    const std::vector<const Tensor*>& inputs) const {
  if (base_) return base_;
  std::string key;
  for (size_t i : value_inputs_) {
    const Tensor& t = *inputs[i];
    key += dims_to_string(t.dims()) + ":";
    key.append(static_cast<const char*>(t.raw()), t.bytes());
  }
  {
    std::lock_guard<std::mutex> lock(variants_mutex_);
    if (const auto* cached = variants_->lru.find(key)) return *cached;
  }
  // Bake the values in as constants, fold what they decide, and compile that graph: without the
  // lock, so runs of variants already compiled never wait for a new one.
  std::shared_ptr<Graph> g = graph_->clone();
  std::vector<size_t> runtime_inputs;
  std::vector<Value*> kept;
  for (size_t i = 0; i < g->inputs.size(); ++i) {
    if (std::find(value_inputs_.begin(), value_inputs_.end(), i) == value_inputs_.end()) {
      runtime_inputs.push_back(i);
      kept.push_back(g->inputs[i]);
    } else {
      g->inputs[i]->constant = std::make_shared<const Tensor>(inputs[i]->clone());
      g->inputs[i]->shape = Shape::from_dims(inputs[i]->dims());
    }
  }
  g->inputs = kept;
  PassContext ctx = pass_context(options_);
  ctx.verbose = false;
  run_pipeline(*g, options_, ctx);
  propagate_shapes(*g);
  auto variant = make_variant(std::move(g), std::move(runtime_inputs), options_, tactics_);
  std::lock_guard<std::mutex> lock(variants_mutex_);
  if (const auto* built = variants_->lru.find(key)) return *built;  // another thread was first
  variants_->lru.insert(key, variant);  // sessions running an evicted variant keep it alive
  return variant;
}

std::vector<Dims> Engine::output_dims(const std::vector<Dims>& input_dims) const {
  if (input_dims.size() != inputs_.size()) {
    throw_error(ErrorCode::kInvalidArgument, "expected dims for " + std::to_string(inputs_.size()) +
                                                 " inputs, got " +
                                                 std::to_string(input_dims.size()));
  }
  if (!value_inputs_.empty()) {
    throw_error(ErrorCode::kInvalidArgument, "output dims depend on the contents of input '" +
                                                 inputs_[value_inputs_[0]].name +
                                                 "'; use Session::run(inputs) to get the outputs");
  }
  std::vector<Dims> dims;
  for (const auto& desc : variant_outputs(*base_, input_dims)) dims.push_back(desc.dims);
  return dims;
}

std::unique_ptr<Session> Engine::create_session() const {
  return std::unique_ptr<Session>(new Session(shared_from_this()));
}

// ---- Session ----------------------------------------------------------------------------------

Session::Session(std::shared_ptr<const Engine> engine)
    : engine_(std::move(engine)),
      contexts_(std::make_unique<Contexts>(engine_->options_.program_cache_size)) {
  if (engine_->base_) {
    contexts_->lru.insert(engine_->base_, engine_->base_->compiled->create_context());
  }
}

Session::~Session() = default;

namespace {

// All bindings of a run live in one kind of memory.
MemoryKind binding_memory(const std::vector<TensorBinding>& inputs,
                          const std::vector<TensorBinding>& outputs) {
  const MemoryKind kind = !inputs.empty()    ? inputs[0].memory
                          : !outputs.empty() ? outputs[0].memory
                                             : MemoryKind::kHost;
  for (const auto* list : {&inputs, &outputs}) {
    for (const auto& b : *list) {
      if (b.memory != kind) {
        throw_error(ErrorCode::kInvalidArgument,
                    "binding '" + b.name +
                        "' is in another kind of memory than the others: bind all inputs and "
                        "outputs of a run in host memory or all in device memory");
      }
    }
  }
  return kind;
}

const TensorBinding* find_binding(const std::vector<TensorBinding>& bindings,
                                  const std::string& name) {
  for (const auto& b : bindings) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

void check_binding(const TensorBinding& b, const TensorDesc& desc, const char* role) {
  if (b.tensor.dtype() != desc.dtype) {
    throw_error(ErrorCode::kInvalidArgument, std::string(role) + " '" + desc.name + "' expects " +
                                                 name_of(desc.dtype) + ", got " +
                                                 name_of(b.tensor.dtype()));
  }
  const Dims& dims = b.tensor.dims();
  bool ok = dims.size() == desc.dims.size();
  for (size_t i = 0; ok && i < dims.size(); ++i) ok = desc.dims[i] < 0 || desc.dims[i] == dims[i];
  if (!ok) {
    throw_error(ErrorCode::kInvalidArgument, std::string(role) + " '" + desc.name +
                                                 "' expects dims " + dims_to_string(desc.dims) +
                                                 " (-1: any), got " + dims_to_string(dims));
  }
  if (!b.tensor.raw() && b.tensor.numel() > 0) {
    throw_error(ErrorCode::kInvalidArgument,
                std::string(role) + " '" + desc.name + "' has no data");
  }
}

}  // namespace

namespace {

// Checks every input binding against the engine's inputs; returns them in engine order.
std::vector<const Tensor*> bound_inputs(const Engine& engine,
                                        const std::vector<TensorBinding>& inputs) {
  std::vector<const Tensor*> ins;
  for (const auto& desc : engine.inputs()) {
    const TensorBinding* b = find_binding(inputs, desc.name);
    if (!b) throw_error(ErrorCode::kInvalidArgument, "input '" + desc.name + "' is not bound");
    check_binding(*b, desc, "input");
    ins.push_back(&b->tensor);
  }
  for (const auto& b : inputs) {
    bool known = false;
    for (const auto& d : engine.inputs()) known = known || d.name == b.name;
    if (!known)
      throw_error(ErrorCode::kInvalidArgument, "the model has no input named '" + b.name + "'");
  }
  return ins;
}

std::vector<Dims> dims_of(const std::vector<const Tensor*>& tensors) {
  std::vector<Dims> dims;
  for (const Tensor* t : tensors) dims.push_back(t->dims());
  return dims;
}

}  // namespace

void Session::run(const std::vector<TensorBinding>& inputs,
                  const std::vector<TensorBinding>& outputs) {
  out_of_memory_as_error("running a session", [&] { run_impl(inputs, outputs); });
}

void Session::run_impl(const std::vector<TensorBinding>& inputs,
                       const std::vector<TensorBinding>& outputs) {
  const auto& out_desc = engine_->outputs();
  const MemoryKind memory = binding_memory(inputs, outputs);
  if (memory == MemoryKind::kCuda && !engine_->value_inputs_.empty()) {
    throw_error(ErrorCode::kInvalidArgument,
                "input '" + engine_->value_inputs()[0] +
                    "' decides output dims by its contents, so it must be bound in host memory");
  }
  std::vector<const Tensor*> ins = bound_inputs(*engine_, inputs);
  std::shared_ptr<const EngineVariant> variant = engine_->variant_for(ins);
  std::vector<Dims> in_dims = dims_of(ins);
  if (variant != last_variant_ || in_dims != last_input_dims_) {
    last_outputs_ = variant_outputs(*variant, in_dims);
    last_variant_ = variant;
    last_input_dims_ = std::move(in_dims);
  }
  const std::vector<TensorDesc>& expected = last_outputs_;
  std::vector<Tensor*> outs;
  for (size_t i = 0; i < out_desc.size(); ++i) {
    const TensorBinding* b = find_binding(outputs, out_desc[i].name);
    if (!b)
      throw_error(ErrorCode::kInvalidArgument, "output '" + out_desc[i].name + "' is not bound");
    check_binding(*b, expected[i], "output");
    outs.push_back(const_cast<Tensor*>(&b->tensor));
  }
  std::vector<const Tensor*> runtime_ins;
  for (size_t i : variant->runtime_inputs) runtime_ins.push_back(ins[i]);
  std::unique_ptr<ExecutionContext>* found = contexts_->lru.find(variant);
  auto& context =
      found ? *found : contexts_->lru.insert(variant, variant->compiled->create_context()).value;
  if (memory == MemoryKind::kCuda) {
    variant->compiled->run_on_device(*context, runtime_ins, outs);
  } else {
    variant->compiled->run(*context, runtime_ins, outs);
  }
}

std::vector<Tensor> Session::run(const std::vector<TensorBinding>& inputs) {
  return out_of_memory_as_error("running a session", [&] { return run_alloc_impl(inputs); });
}

std::vector<Tensor> Session::run_alloc_impl(const std::vector<TensorBinding>& inputs) {
  // Checked before anything reads an input: choosing the variant reads the contents of inputs that
  // decide shapes, which the host cannot do in device memory.
  for (const TensorBinding& b : inputs) {
    if (b.memory != MemoryKind::kHost) {
      throw_error(ErrorCode::kInvalidArgument,
                  "input '" + b.name +
                      "' is bound in device memory: Session::run(inputs) returns host tensors and "
                      "takes host inputs (bind device outputs too with run(inputs, outputs))");
    }
  }
  std::vector<const Tensor*> ins = bound_inputs(*engine_, inputs);
  std::vector<TensorDesc> descs = variant_outputs(*engine_->variant_for(ins), dims_of(ins));
  std::vector<Tensor> results;
  std::vector<TensorBinding> bindings;
  for (const auto& d : descs) results.emplace_back(d.dtype, d.dims);
  for (size_t i = 0; i < descs.size(); ++i) bindings.push_back({descs[i].name, results[i]});
  run(inputs, bindings);
  // The bindings viewed the same storage as `results` (Tensor copies share their buffer).
  return results;
}

}  // namespace lowp
