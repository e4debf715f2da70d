#include "backends/cuda/cuda_compiled_model.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn_conv.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/device_scope.h"
#include "lowp/error.h"

namespace lowp::cuda {
namespace {

constexpr size_t kIoAlignment = 256;

size_t align_io(size_t bytes) { return (bytes + kIoAlignment - 1) / kIoAlignment * kIoAlignment; }

// Per (context, program) state: arena, workspace, device I/O buffers, pinned staging and the
// captured graphs.
struct PreparedProgram {
  std::shared_ptr<const CudaProgram> program;
  DeviceBuffer arena;
  DeviceBuffer workspace;
  DeviceBuffer io;       // device copies of host-bound inputs, then outputs
  PinnedBuffer staging;  // same offsets, pinned host memory
  std::vector<size_t> input_offsets, output_offsets;
  bool warmed = false;                     // ran eagerly once (lazy library initialisation done)
  cudaGraphExec_t host_graph = nullptr;    // staging copies + steps
  cudaGraphExec_t device_graph = nullptr;  // steps over the caller's device buffers below
  std::vector<const void*> device_inputs;
  std::vector<void*> device_outputs;

  ~PreparedProgram() {
    if (host_graph) cudaGraphExecDestroy(host_graph);
    if (device_graph) cudaGraphExecDestroy(device_graph);
  }
};

class CudaContext : public ExecutionContext {
 public:
  explicit CudaContext(int device) : device(device) {
    try {
      check_cuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
      check_cuda(cudaEventCreateWithFlags(&inputs_ready, cudaEventDisableTiming),
                 "cudaEventCreate");
      check_cublas(cublasLtCreate(&lt), "cublasLtCreate");
      // Without cuDNN (its library failed to initialise) programs use no cuDNN steps.
      if (cudnnCreate(&dnn) == CUDNN_STATUS_SUCCESS) {
        check_cudnn(cudnnSetStream(dnn, stream), "cudnnSetStream");
      } else {
        dnn = nullptr;
      }
    } catch (...) {
      release();
      throw;
    }
  }
  ~CudaContext() override { release(); }

  PreparedProgram& prepare(std::shared_ptr<const CudaProgram> program) {
    if (auto* cached = prepared.find(program.get())) return **cached;
    // A session that sees many shapes keeps the buffers and graphs of the latest few only, freed
    // (once the stream is done with them) before the next is allocated.
    if (auto oldest = prepared.make_room()) {
      check_cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      oldest->reset();
    }
    auto owned = std::make_unique<PreparedProgram>();  // enters the cache only when complete
    PreparedProgram& p = *owned;
    p.program = program;
    p.arena = DeviceBuffer(program->arena_bytes, "the activation arena");
    p.workspace = DeviceBuffer(program->workspace_bytes, "the cuBLASLt workspace");
    size_t io = 0;
    for (size_t b : program->input_bytes) {
      p.input_offsets.push_back(io);
      io += align_io(b);
    }
    for (size_t b : program->output_bytes) {
      p.output_offsets.push_back(io);
      io += align_io(b);
    }
    p.io = DeviceBuffer(io, "input / output buffers");
    p.staging = PinnedBuffer(io, "pinned input / output staging");
    prepared.insert(program.get(), std::move(owned));
    return p;
  }

  void release() {
    std::optional<DeviceScope> on_device;
    try {
      on_device.emplace(device);
    } catch (...) {  // (releasing anyway)
    }
    if (stream) cudaStreamSynchronize(stream);
    last_program.reset();  // may be the last owner of a program evicted from the engine's cache
    last_dims.clear();
    prepared.clear();
    if (lt) cublasLtDestroy(lt);
    if (dnn) cudnnDestroy(dnn);
    dnn = nullptr;
    if (inputs_ready) cudaEventDestroy(inputs_ready);
    if (stream) cudaStreamDestroy(stream);
    lt = nullptr;
    inputs_ready = nullptr;
    stream = nullptr;
  }

  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t dnn = nullptr;
  cudaEvent_t inputs_ready = nullptr;  // orders our stream after the caller's legacy-stream work
  cublasLtHandle_t lt = nullptr;
  static constexpr size_t kMaxPrepared = 4;
  LruCache<const CudaProgram*, std::unique_ptr<PreparedProgram>> prepared{kMaxPrepared};
  std::vector<Dims> last_dims;
  std::shared_ptr<const CudaProgram> last_program;
};

LaunchArgs launch_args(const CudaProgram& program, PreparedProgram& p, CudaContext& ctx,
                       const std::vector<const void*>& inputs, const std::vector<void*>& outputs) {
  LaunchArgs a;
  a.stream = ctx.stream;
  a.lt = ctx.lt;
  a.dnn = ctx.dnn;
  a.workspace = p.workspace.get();
  for (const DeviceSlot& s : program.slots) {
    switch (s.kind) {
      case SlotKind::kArena:
        a.slots.push_back(static_cast<char*>(p.arena.get()) + s.offset);
        break;
      case SlotKind::kInput:
        a.slots.push_back(const_cast<void*>(inputs.at(s.index)));
        break;
      case SlotKind::kOutput:
        a.slots.push_back(outputs.at(s.index));
        break;
      case SlotKind::kConstant:
        a.slots.push_back(const_cast<void*>(s.constant));
        break;
    }
  }
  return a;
}

// First run: every step followed by a synchronising check, so an error names its kernel.
void run_eagerly(const CudaProgram& program, const LaunchArgs& a) {
  for (const Step& step : program.steps) {
    try {
      launch_step(step, a);
      check_cuda(cudaStreamSynchronize(a.stream), "after the step");
    } catch (const Error& e) {
      throw Error(e.code(), step.what + ": " + e.what());  // names the node and the kernel
    }
  }
}

cudaGraph_t capture_graph(const CudaProgram& program, const LaunchArgs& a,
                          const std::function<void()>& before, const std::function<void()>& after) {
  check_cuda(cudaStreamBeginCapture(a.stream, cudaStreamCaptureModeThreadLocal),
             "cudaStreamBeginCapture");
  cudaGraph_t graph = nullptr;
  try {
    before();
    for (const Step& step : program.steps) launch_step(step, a);
    after();
  } catch (...) {
    // Ends the capture (invalidated when a launch failed: that error is not this one to report).
    cudaStreamEndCapture(a.stream, &graph);
    (void)cudaGetLastError();
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  check_cuda(cudaStreamEndCapture(a.stream, &graph), "cudaStreamEndCapture");
  return graph;
}

// Captures the program into `exec`: updated in place when the graph's topology is unchanged
// (only kernel arguments, e.g. the caller's buffers, differ), else instantiated afresh.
void capture_into(cudaGraphExec_t& exec, const CudaProgram& program, const LaunchArgs& a,
                  const std::function<void()>& before, const std::function<void()>& after) {
  cudaGraph_t graph = capture_graph(program, a, before, after);
  cudaGraphExecUpdateResultInfo info{};
  if (exec && cudaGraphExecUpdate(exec, graph, &info) == cudaSuccess) {
    cudaGraphDestroy(graph);
    return;
  }
  (void)cudaGetLastError();  // a failed update is not an error: instantiate instead
  if (exec) cudaGraphExecDestroy(exec);
  exec = nullptr;
  const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  check_cuda(status, "cudaGraphInstantiate");
}

// Caller buffers feed cuBLASLt, which was asked for 16-byte aligned operands.
void check_alignment(const void* p, const std::string& name) {
  if (reinterpret_cast<uintptr_t>(p) % 16 != 0) {
    throw_error(ErrorCode::kInvalidArgument,
                "device buffer for '" + name + "' must be 16-byte aligned (cudaMalloc's are)");
  }
}

std::vector<Dims> dims_of(const std::vector<const Tensor*>& inputs) {
  std::vector<Dims> dims;
  for (const Tensor* t : inputs) dims.push_back(t->dims());
  return dims;
}

CudaContext& cuda_context(ExecutionContext& context) {
  auto* ctx = dynamic_cast<CudaContext*>(&context);
  if (!ctx) throw_error(ErrorCode::kInvalidArgument, "cuda backend: context from another backend");
  return *ctx;
}

std::shared_ptr<const CudaProgram> program_of(const CudaCompiledModel& model, CudaContext& ctx,
                                              const std::vector<const Tensor*>& inputs) {
  std::vector<Dims> dims = dims_of(inputs);
  if (!ctx.last_program || dims != ctx.last_dims) {
    ctx.last_program = model.program_for(dims);
    ctx.last_dims = std::move(dims);
  }
  return ctx.last_program;
}

void check_output_sizes(const CudaProgram& program, const std::vector<Tensor*>& outputs) {
  for (size_t j = 0; j < outputs.size(); ++j) {
    if (outputs[j]->bytes() != program.output_bytes.at(j)) {
      throw_error(ErrorCode::kInvalidArgument,
                  "cuda backend: output " + std::to_string(j) + " has the wrong size");
    }
  }
}

}  // namespace

CudaCompiledModel::CudaCompiledModel(std::shared_ptr<const Graph> graph,
                                     const CompileOptions& options, const TacticMap& tactics,
                                     size_t im2col_slice_bytes)
    : graph_(std::move(graph)),
      options_(options),
      im2col_slice_bytes_(im2col_slice_bytes),
      programs_(options.program_cache_size) {
  check_cuda_support(*graph_);
  int count = 0;
  check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (options.cuda_device < -1 || options.cuda_device >= count) {
    throw_error(ErrorCode::kInvalidArgument,
                "CUDA device " + std::to_string(options.cuda_device) + ": this machine has " +
                    std::to_string(count) + " (ordinals 0 to " + std::to_string(count - 1) + ")");
  }
  if (options.cuda_device >= 0) {
    device_ = options.cuda_device;
  } else {
    check_cuda(cudaGetDevice(&device_), "cudaGetDevice");
  }
  const DeviceScope on_device(device_);
  try {
    cudaDeviceProp prop{};
    check_cuda(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    device_line_ = "CUDA device " + std::to_string(device_) + ": " + prop.name + " (sm_" +
                   std::to_string(prop.major) + std::to_string(prop.minor) + ")";
    resources_ = upload_resources(*graph_, options.allow_tf32);
    check_cublas(cublasLtCreate(&lt_), "cublasLtCreate");
    if (cudnnCreate(&dnn_) != CUDNN_STATUS_SUCCESS) dnn_ = nullptr;  // then no cuDNN tactics
    // Stored tactics are trusted only on the same GPU with the same cuBLASLt and cuDNN.
    tactics_ = std::make_unique<TacticStore>(
        std::string(prop.name) + "|sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
            "|" + std::to_string(prop.multiProcessorCount) + " SMs" + "|cublasLt " +
            std::to_string(cublasLtGetVersion()) + "|cudnn " +
            std::to_string(dnn_ ? cudnnGetVersion() : 0),
        tactics);
    // Lower once now for batch 1 (symbolic dims as 1) so that what the CUDA backend cannot run
    // is reported by compile, not by the first Session::run; then for the batch sizes to tune.
    bool ranked = true;
    for (const Value* v : graph_->inputs) ranked = ranked && v->shape.has_rank();
    if (!ranked && !options.tune_batch_sizes.empty()) {
      throw_error(ErrorCode::kInvalidArgument,
                  "cannot tune batch sizes: a model input has no known rank");
    }
    if (ranked) {
      first_program_ = program_for(input_dims_for_batch(1));
      for (int64_t batch : options.tune_batch_sizes) program_for(input_dims_for_batch(batch));
    }
  } catch (...) {
    release_device_state();
    throw;
  }
}

void CudaCompiledModel::release_device_state() {
  first_program_.reset();  // programs (GEMM and cuDNN descriptors) go before their handles
  programs_.clear();
  resources_ = ModelResources{};
  if (lt_) cublasLtDestroy(lt_);
  if (dnn_) cudnnDestroy(dnn_);
  lt_ = nullptr;
  dnn_ = nullptr;
}

std::vector<Dims> CudaCompiledModel::input_dims_for_batch(int64_t batch) const {
  if (batch < 1) {
    throw_error(ErrorCode::kInvalidArgument,
                "tune batch size " + std::to_string(batch) + ": must be at least 1");
  }
  std::vector<Dims> dims;
  bool dynamic_batch = false;
  for (const Value* v : graph_->inputs) {
    Dims d;
    for (const Dim& dim : v->shape.dims()) {
      const bool batch_dim = d.empty() && !dim.known();
      dynamic_batch = dynamic_batch || batch_dim;
      d.push_back(dim.known() ? dim.size : batch_dim ? batch : 1);
    }
    dims.push_back(d);
  }
  if (batch != 1 && !dynamic_batch) {
    throw_error(ErrorCode::kInvalidArgument,
                "tune batch size " + std::to_string(batch) +
                    ": no model input has a dynamic first dimension (the batch is fixed)");
  }
  return dims;
}

CudaCompiledModel::~CudaCompiledModel() {
  std::optional<DeviceScope> on_device;
  try {
    on_device.emplace(device_);
  } catch (...) {  // (releasing anyway: a device that cannot be made current is gone)
  }
  release_device_state();
}

std::unique_ptr<ExecutionContext> CudaCompiledModel::create_context() const {
  const DeviceScope on_device(device_);
  return std::make_unique<CudaContext>(device_);
}

std::shared_ptr<const CudaProgram> CudaCompiledModel::program_for(
    const std::vector<Dims>& dims) const {
  const DeviceScope on_device(device_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto* cached = programs_.find(dims)) return *cached;
  // Programs of shapes not used lately go (sessions still running one keep it alive).
  programs_.make_room();
  LoweringOptions options;
  options.lt = lt_;
  options.dnn = dnn_;
  options.tactics = tactics_.get();
  options.im2col_slice_bytes = im2col_slice_bytes_;
  std::shared_ptr<const CudaProgram> program = lower_program(*graph_, dims, resources_, options);
  programs_.insert(dims, program);
  return program;
}

void CudaCompiledModel::run(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
                            const std::vector<Tensor*>& outputs) const {
  const DeviceScope on_device(device_);
  CudaContext& ctx = cuda_context(context);
  std::shared_ptr<const CudaProgram> program = program_of(*this, ctx, inputs);
  check_output_sizes(*program, outputs);
  PreparedProgram& p = ctx.prepare(program);
  auto* staging = static_cast<char*>(p.staging.get());
  auto* io = static_cast<char*>(p.io.get());
  std::vector<const void*> dev_in;
  std::vector<void*> dev_out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::memcpy(staging + p.input_offsets[i], inputs[i]->raw(), program->input_bytes[i]);
    dev_in.push_back(io + p.input_offsets[i]);
  }
  for (size_t j = 0; j < outputs.size(); ++j) dev_out.push_back(io + p.output_offsets[j]);
  // Slot addresses are resolved only to run eagerly or capture; a replay needs none.
  auto args = [&] { return launch_args(*program, p, ctx, dev_in, dev_out); };
  auto upload = [&] {
    for (size_t i = 0; i < inputs.size(); ++i) {
      check_cuda(cudaMemcpyAsync(io + p.input_offsets[i], staging + p.input_offsets[i],
                                 program->input_bytes[i], cudaMemcpyHostToDevice, ctx.stream),
                 "copying input " + graph_->inputs[i]->name + " to the device");
    }
  };
  auto download = [&] {
    for (size_t j = 0; j < outputs.size(); ++j) {
      check_cuda(cudaMemcpyAsync(staging + p.output_offsets[j], io + p.output_offsets[j],
                                 program->output_bytes[j], cudaMemcpyDeviceToHost, ctx.stream),
                 "copying output " + graph_->outputs[j]->name + " to the host");
    }
  };
  if (!p.warmed) {
    upload();
    run_eagerly(*program, args());
    download();
    p.warmed = true;
  } else {
    if (!p.host_graph) capture_into(p.host_graph, *program, args(), upload, download);
    check_cuda(cudaGraphLaunch(p.host_graph, ctx.stream), "cudaGraphLaunch");
  }
  check_cuda(cudaStreamSynchronize(ctx.stream), "running '" + graph_->name + "' on CUDA");
  for (size_t j = 0; j < outputs.size(); ++j) {
    std::memcpy(outputs[j]->raw(), staging + p.output_offsets[j], program->output_bytes[j]);
  }
}

void CudaCompiledModel::run_on_device(ExecutionContext& context,
                                      const std::vector<const Tensor*>& inputs,
                                      const std::vector<Tensor*>& outputs) const {
  // Work the caller queued on its legacy default stream comes first (below, through an event).
  // That stream is per device: when the caller's device is not the engine's, wait for it here.
  int caller_device = device_;
  check_cuda(cudaGetDevice(&caller_device), "cudaGetDevice");
  if (caller_device != device_) {
    check_cuda(cudaStreamSynchronize(cudaStreamLegacy),
               "cudaStreamSynchronize (the caller's device " + std::to_string(caller_device) + ")");
  }
  const DeviceScope on_device(device_);
  CudaContext& ctx = cuda_context(context);
  std::shared_ptr<const CudaProgram> program = program_of(*this, ctx, inputs);
  check_output_sizes(*program, outputs);
  PreparedProgram& p = ctx.prepare(program);
  std::vector<const void*> dev_in;
  std::vector<void*> dev_out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_alignment(inputs[i]->raw(), graph_->inputs[i]->name);
    dev_in.push_back(inputs[i]->raw());
  }
  for (size_t j = 0; j < outputs.size(); ++j) {
    check_alignment(outputs[j]->raw(), graph_->outputs[j]->name);
    dev_out.push_back(outputs[j]->raw());
  }
  // Slot addresses are resolved only to run eagerly or capture; a replay needs none.
  auto args = [&] { return launch_args(*program, p, ctx, dev_in, dev_out); };
  // After the caller's legacy-stream work on this device (e.g. copying the inputs).
  check_cuda(cudaEventRecord(ctx.inputs_ready, cudaStreamLegacy), "cudaEventRecord");
  check_cuda(cudaStreamWaitEvent(ctx.stream, ctx.inputs_ready, 0), "cudaStreamWaitEvent");
  if (!p.warmed) {
    run_eagerly(*program, args());
    p.warmed = true;
  } else {
    // The graph bakes in the caller's pointers: capture again (and update) when they change.
    if (!p.device_graph || dev_in != p.device_inputs || dev_out != p.device_outputs) {
      capture_into(
          p.device_graph, *program, args(), [] {}, [] {});
      p.device_inputs = dev_in;
      p.device_outputs = dev_out;
    }
    check_cuda(cudaGraphLaunch(p.device_graph, ctx.stream), "cudaGraphLaunch");
  }
  // Results are in the caller's device buffers when run returns.
  check_cuda(cudaStreamSynchronize(ctx.stream), "running '" + graph_->name + "' on CUDA");
}

TacticMap CudaCompiledModel::tactics() const { return tactics_->all(); }

std::vector<std::string> CudaCompiledModel::describe() const {
  std::vector<std::string> lines = {device_line_};
  for (std::string& line : describe_cuda_nodes(*graph_)) lines.push_back(std::move(line));
  if (first_program_) {  // the tactics chosen (or read from the plan) for batch 1
    lines.push_back("steps at batch 1:");
    for (const Step& step : first_program_->steps) lines.push_back("  " + step.what);
  }
  return lines;
}

}  // namespace lowp::cuda
