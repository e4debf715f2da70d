// The CUDA backend's host code run end to end on the CPU: program lowering, weight packing,
// cuBLASLt and cuDNN configuration and tactic timing, arena planning, CUDA graph capture / update /
// replay and device-memory bindings, against a host emulation of the CUDA runtime, cuBLASLt and
// cuDNN (this folder; see emulated_stream.h), with the backend's own kernel source,
// backends/cuda/*.cu, run on the host (kernels_on_host.h).
// Compared with the CPU backend:
//  - ResNet-18 fp32: emulated GEMMs and convolutions are exact f32, so the logits match the CPU
//    within 1e-5 relative L2 (with cuDNN convolutions preferred, cuBLASLt preferred, no cuDNN);
//  - fp16 within 1e-2 of CPU fp32; int8 (CPU-calibrated plan loaded for CUDA) agreeing with the
//    CPU int8 engine on top-1;
//  - eager, captured and replayed runs, batch changes and rebound device buffers agree exactly;
//  - small graphs with the ops ResNet-18 does not use; injected failures (cuBLASLt, kernel
//    launches, out of device memory) are reported and recovered from.
// Every test also fails on an emulation "violation" (a kernel or copy touching memory outside a
// live device allocation, as a GPU would fault on) and on leaked device memory, streams, events,
// graphs or cuBLASLt / cuDNN objects.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <thread>

#include "backends/cuda/cuda_compiled_model.h"
#include "backends/cuda/kernels.h"
#include "lowp/lowp.h"
#include "tests/cuda_emulation/emulated_stream.h"
#include "tests/onnx_model_builder.h"
#include "tests/onnx_node_cases.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"
#include "tools/io/idx.h"

using namespace lowp;
using namespace lowp::testing;
namespace emu = lowp::cuda_emulation;

namespace {

std::string fashion_model() { return source_dir() + "/models/resnet18_fashion.onnx"; }

const io::IdxImages& fashion_test_images() {
  static const io::IdxImages images =
      io::read_idx_images(fashion_dir() + "/t10k-images-idx3-ubyte.gz");
  return images;
}

Tensor fashion_inputs(int64_t start, int64_t count) {
  return fashion_batch(fashion_test_images(), start, count);
}

// The ResNet-18 compiled for int8 on the CPU, calibrated on `count` Fashion training images.
std::shared_ptr<const Engine> fashion_int8_on_cpu(int count, int batch) {
  CompileOptions int8 = options_for(Device::kCpu, Precision::kInt8);
  int8.calibration.source = io::make_calibration_source(
      fashion_dir(), "idx", count, batch, preprocessing_preset("fashion"), {-1, 3, 64, 64});
  return Engine::compile_onnx(fashion_model(), int8);
}

// Fails the test on violations and on resources still alive that were not alive before it.
class CudaEmulation : public ::testing::Test {
 protected:
  void SetUp() override {
    emu::reset();
    emu::set_cudnn_speed(0.5);  // cuDNN convolutions win the lowering's timing where eligible
    emu::set_int8_requantize_supported(true);
    emu::set_device_count(1);
    before_ = emu::counters();
  }
  void TearDown() override {
    emu::clear_faults();
    for (const std::string& v : emu::violations()) ADD_FAILURE() << "emulation violation: " << v;
    const emu::Counters after = emu::counters();
    EXPECT_EQ(after.live_device_allocations, before_.live_device_allocations) << "cudaMalloc";
    EXPECT_EQ(after.live_pinned_allocations, before_.live_pinned_allocations) << "cudaMallocHost";
    EXPECT_EQ(after.live_streams, before_.live_streams) << "streams";
    EXPECT_EQ(after.live_events, before_.live_events) << "events";
    EXPECT_EQ(after.live_graphs, before_.live_graphs) << "graphs";
    EXPECT_EQ(after.live_graph_execs, before_.live_graph_execs) << "graph execs";
    EXPECT_EQ(after.live_lt_handles, before_.live_lt_handles) << "cuBLASLt handles";
    EXPECT_EQ(after.live_lt_objects, before_.live_lt_objects) << "cuBLASLt descriptors";
    EXPECT_EQ(after.live_dnn_handles, before_.live_dnn_handles) << "cuDNN handles";
    EXPECT_EQ(after.live_dnn_objects, before_.live_dnn_objects) << "cuDNN descriptors";
  }
  emu::Counters before_;
};

}  // namespace

TEST_F(CudaEmulation, ReportsTheEmulatedDevice) {
  ASSERT_EQ(cuda_device_count(), 1);
  EXPECT_EQ(cuda_unavailable_reason(), "");
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const std::vector<std::string> lines = engine->describe();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "CUDA device 0: lowp host emulation (sm_90)");
}

// The emulation's own checks are live: a kernel given host memory is a violation (and an illegal
// address at the next synchronisation), captured work runs only when the graph is launched, unsafe
// calls invalidate a capture, and the host cannot dereference device memory.
TEST_F(CudaEmulation, EmulationCatchesMisuse) {
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  float* a = nullptr;
  float* b = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&a), 64), cudaSuccess);
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&b), 64), cudaSuccess);
  const float ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const float twos[16] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  float host[16] = {};
  ASSERT_EQ(cudaMemcpy(a, ones, 64, cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(b, twos, 64, cudaMemcpyHostToDevice), cudaSuccess);

  // Capture: the copy is recorded, not run, until the graph is launched.
  ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(b, a, 64, cudaMemcpyDeviceToDevice, stream), cudaSuccess);
  cudaGraph_t graph = nullptr;
  ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(host, b, 64, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(host[0], 2.f) << "captured work ran at capture time";
  cudaGraphExec_t exec = nullptr;
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(host, b, 64, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(host[0], 1.f) << "the graph launch did not replay the copy";
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);

  // An allocation while capturing is refused and invalidates the capture.
  ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 16), cudaErrorStreamCaptureUnsupported);
  EXPECT_EQ(cudaStreamEndCapture(stream, &graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(graph, nullptr);
  (void)cudaGetLastError();

  // A kernel reading host memory faults when it runs (at once here: the emulated device is
  // synchronous, so the launch check already sees the sticky error).
  EXPECT_TRUE(emu::violations().empty());
  try {
    lowp::cuda::convert(host, lowp::cuda::DType::kF32, b, lowp::cuda::DType::kF32, 16, stream);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cudaErrorIllegalAddress"), std::string::npos);
  }
  EXPECT_EQ(emu::violations().size(), 1u);
  EXPECT_EQ(cudaStreamSynchronize(stream), cudaErrorIllegalAddress);
  emu::reset();

  // The host dereferencing device memory dies.
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(std::printf("%f\n", static_cast<double>(*static_cast<volatile float*>(a))),
               "dereferenced emulated device memory");

  cudaFree(a);
  cudaFree(b);
  cudaStreamDestroy(stream);
}

// How the emulated cuDNN compares with im2col + cuBLASLt in the lowering's tactic timing.
struct CudnnMode {
  const char* name;
  double speed;  // emu::set_cudnn_speed
};
constexpr CudnnMode kCudnnModes[] = {
    {"cuDNN preferred", 0.5}, {"cuBLASLt preferred", 3.0}, {"no cuDNN", 0.0}};

// Runs `engine` on x twice (eager, then captured) and returns the second result; `dnn` gets the
// number of cuDNN convolutions the captured run executed.
Tensor run_twice(const Engine& engine, const Tensor& x, int64_t* dnn) {
  auto session = engine.create_session();
  const std::string in = engine.inputs()[0].name;
  const Tensor first = session->run({{in, x}}).at(0);
  const emu::Counters before = emu::counters();
  const Tensor second = session->run({{in, x}}).at(0);
  *dnn = emu::counters().dnn_convolutions - before.dnn_convolutions;
  EXPECT_EQ(max_abs_diff(first.cast(DataType::kF32), second.cast(DataType::kF32)), 0.f);
  return second;
}

TEST_F(CudaEmulation, FashionFp32MatchesCpu) {
  const Tensor x = fashion_inputs(0, 8);
  const Tensor cpu = run_once(*Engine::compile_onnx(fashion_model()), x);
  for (const CudnnMode& mode : kCudnnModes) {
    SCOPED_TRACE(mode.name);
    emu::set_cudnn_speed(mode.speed);
    int64_t dnn = 0;
    const Tensor cuda = run_twice(
        *Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32)), x,
        &dnn);
    const double err = relative_l2(cuda, cpu);
    std::cout << "emulated CUDA fp32 (" << mode.name << ", " << dnn
              << " cuDNN convolutions) vs CPU fp32 (8 images): relative L2 " << err
              << ", max abs diff " << max_abs_diff(cuda, cpu) << "\n";
    EXPECT_LE(err, 1e-5);
    EXPECT_EQ(top1(cuda), top1(cpu));
    EXPECT_EQ(dnn > 0, mode.speed == 0.5);
  }
}

TEST_F(CudaEmulation, FashionFp16MatchesCpuFp32) {
  const Tensor x = fashion_inputs(0, 8);
  const Tensor cpu = run_once(*Engine::compile_onnx(fashion_model()), x);
  CompileOptions half = options_for(Device::kCuda, Precision::kFp16);
  half.keep_io_types = true;
  for (const CudnnMode& mode : kCudnnModes) {
    SCOPED_TRACE(mode.name);
    emu::set_cudnn_speed(mode.speed);
    int64_t dnn = 0;
    const Tensor cuda = run_twice(*Engine::compile_onnx(fashion_model(), half), x, &dnn);
    ASSERT_EQ(cuda.dtype(), DataType::kF32);
    const double err = relative_l2(cuda, cpu);
    std::cout << "emulated CUDA fp16 (" << mode.name << ", " << dnn
              << " cuDNN convolutions) vs CPU fp32 (8 images): relative L2 " << err
              << ", max abs diff " << max_abs_diff(cuda, cpu) << "\n";
    EXPECT_LE(err, 1e-2);
    EXPECT_EQ(dnn > 0, mode.speed == 0.5);
  }
}

// allow_tf32: GEMMs (and cuDNN convolutions) round their inputs to TF32.
TEST_F(CudaEmulation, FashionTf32IsCloseToCpu) {
  const Tensor x = fashion_inputs(0, 4);
  const Tensor cpu = run_once(*Engine::compile_onnx(fashion_model()), x);
  CompileOptions tf32 = options_for(Device::kCuda, Precision::kFp32);
  tf32.allow_tf32 = true;
  for (double speed : {0.5, 0.0}) {
    emu::set_cudnn_speed(speed);
    const Tensor cuda = run_once(*Engine::compile_onnx(fashion_model(), tf32), x);
    const double err = relative_l2(cuda, cpu);
    std::cout << "emulated CUDA tf32 (cuDNN speed " << speed << ") vs CPU fp32: relative L2 " << err
              << "\n";
    EXPECT_LE(err, 1e-2);
    EXPECT_GT(err, 1e-6) << "TF32 rounding should show";
  }
}

TEST_F(CudaEmulation, FashionInt8AgreesWithCpuInt8) {
  auto cpu_int8 = fashion_int8_on_cpu(64, 32);
  auto cpu_fp32 = Engine::compile_onnx(fashion_model());
  constexpr int64_t kImages = 64;
  const Tensor x = fashion_inputs(0, kImages);
  const Tensor want = run_once(*cpu_int8, x);
  const Tensor reference = run_once(*cpu_fp32, x);
  // ResNet-18's convolutions all have s8 outputs with no activation or a ReLU at the bottom of
  // the range: each requantizes in cuBLASLt's epilogue and only the classifier (f32 logits) takes
  // the s32 GEMM + lowp's epilogue kernel; with a cuBLASLt that has no s8 -> s8 algorithms, all
  // 21 take the latter.
  for (const bool requantize_in_gemm : {true, false}) {
    SCOPED_TRACE(requantize_in_gemm ? "s8 -> s8 cuBLASLt" : "s32 + epilogue kernel");
    emu::set_int8_requantize_supported(requantize_in_gemm);
    auto cuda_int8 = reload_for(*cpu_int8, Device::kCuda,
                                std::string(LOWP_BINARY_DIR) + "/cuda_emulated_int8_fashion.plan");
    const Tensor got = run_once(*cuda_int8, x);
    const std::vector<int64_t> w = top1(want), g = top1(got), r = top1(reference);
    int64_t agree = 0, agree_fp32 = 0;
    for (int64_t i = 0; i < kImages; ++i) {
      agree += g[i] == w[i];
      agree_fp32 += g[i] == r[i];
    }
    int in_gemm = 0, in_kernel = 0;
    for (const std::string& line : cuda_int8->describe()) {
      in_gemm += line.find("int8 requantize in the epilogue") != std::string::npos;
      in_kernel += line.find("int8 requantize epilogue") != std::string::npos;
    }
    std::cout << "int8 layers requantizing in cuBLASLt's epilogue: " << in_gemm
              << ", in lowp's epilogue kernel: " << in_kernel << "\n";
    EXPECT_EQ(in_gemm, requantize_in_gemm ? 20 : 0);
    EXPECT_EQ(in_kernel, requantize_in_gemm ? 1 : 21);
    const float diff = max_abs_diff(got, want);
    float range = 0.f;
    for (float v : want.to_float()) range = std::max(range, std::fabs(v));
    std::cout << "emulated CUDA int8 vs CPU int8 (" << kImages << " images): top-1 agreement "
              << agree << "/" << kImages << ", max abs logit diff " << diff << " (largest |logit| "
              << range << "), relative L2 " << relative_l2(got, want)
              << "; top-1 agreement with CPU fp32 " << agree_fp32 << "/" << kImages
              << "; relative L2 to CPU fp32: CUDA int8 " << relative_l2(got, reference)
              << ", CPU int8 " << relative_l2(want, reference) << "\n";
    EXPECT_GE(agree * 100, kImages * 98);
    EXPECT_LE(diff, 0.1f * range);
  }
}

// The GPU test's int8 measurement (CudaBackend.Int8FashionAccuracyAndAgreement: all 10,000 test
// images, calibrated on 512 training images) on the emulated device, for both int8 GEMM paths.
// Minutes of host time: run by hand with --gtest_also_run_disabled_tests (figures in
// BENCHMARKS.md).
TEST_F(CudaEmulation, DISABLED_FashionInt8WholeTestSet) {
  auto cpu_int8 = fashion_int8_on_cpu(512, 64);
  auto fp32 = Engine::compile_onnx(fashion_model());
  const TestSetTop1 cpu = fashion_test_set_top1(*cpu_int8, *fp32, 500);
  std::cout << "CPU int8: top-1 " << cpu.accuracy_percent() << "%, agreement with CPU fp32 "
            << cpu.agreement_percent() << "%\n";
  for (const bool requantize_in_gemm : {true, false}) {
    emu::set_int8_requantize_supported(requantize_in_gemm);
    auto cuda_int8 = reload_for(*cpu_int8, Device::kCuda,
                                std::string(LOWP_BINARY_DIR) + "/cuda_emulated_int8_whole.plan");
    const TestSetTop1 r = fashion_test_set_top1(*cuda_int8, *fp32, 500);
    std::cout << "emulated CUDA int8 ("
              << (requantize_in_gemm ? "requantizing in cuBLASLt" : "s32 + epilogue kernel")
              << "): top-1 " << r.accuracy_percent() << "%, agreement with CPU fp32 "
              << r.agreement_percent() << "%\n";
    EXPECT_GE(r.agree * 1000, r.images * 997);
    EXPECT_GE(r.correct * 1000, r.images * 927);
  }
}

TEST_F(CudaEmulation, ImageNetGraphFp32MatchesCpu) {
  const std::string model = test_model("resnet18_imagenet_arch.onnx");
  const Tensor x = random_tensor({1, 3, 224, 224}, 7, -2.f, 2.f);
  const Tensor cpu = run_once(*Engine::compile_onnx(model), x);
  const Tensor cuda =
      run_once(*Engine::compile_onnx(model, options_for(Device::kCuda, Precision::kFp32)), x);
  const double err = relative_l2(cuda, cpu);
  std::cout << "ImageNet graph, emulated CUDA fp32 vs CPU fp32 (batch 1): relative L2 " << err
            << "\n";
  EXPECT_LE(err, 1e-5);
}

// Run 1 executes eagerly, run 2 captures a CUDA graph and launches it, run 3 replays it; then
// batch 1 (a new program) and batch 4 again (its graph replayed). Emulated kernels compute each
// element the same way whatever the batch, so all of these agree exactly.
// A batch of 0 is refused naming the first convolution (its lowering divided by the image count).
TEST_F(CudaEmulation, BatchOfZeroIsRefused) {
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  Dims dims = engine->inputs()[0].dims;
  dims[0] = 0;
  const Tensor empty(engine->inputs()[0].dtype, dims);
  try {
    engine->create_session()->run({{engine->inputs()[0].name, empty}});
    FAIL() << "ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(Conv): the CUDA backend has no rows to compute"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(CudaEmulation, EagerCaptureReplayAndBatchChanges) {
  for (Precision precision : {Precision::kFp32, Precision::kFp16}) {
    SCOPED_TRACE(precision_name(precision));
    auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, precision));
    auto session = engine->create_session();
    const std::string in = engine->inputs()[0].name;
    const DataType io = engine->inputs()[0].dtype;
    const Tensor x4 = fashion_inputs(0, 4).cast(io);
    const Tensor x1 = fashion_inputs(0, 1).cast(io);
    auto run = [&](const Tensor& x) { return session->run({{in, x}}).at(0).cast(DataType::kF32); };

    const emu::Counters c0 = emu::counters();
    const Tensor first = run(x4);
    const emu::Counters c1 = emu::counters();
    EXPECT_GT(c1.eager_work, c0.eager_work);
    EXPECT_EQ(c1.graph_launches, c0.graph_launches) << "run 1 runs eagerly";
    const Tensor second = run(x4);
    const emu::Counters c2 = emu::counters();
    EXPECT_EQ(c2.graph_instantiations, c1.graph_instantiations + 1) << "run 2 captures";
    EXPECT_EQ(c2.graph_launches, c1.graph_launches + 1);
    EXPECT_EQ(c2.eager_work, c1.eager_work) << "captured work must not also run eagerly";
    const Tensor third = run(x4);
    const emu::Counters c3 = emu::counters();
    EXPECT_EQ(c3.graph_instantiations, c2.graph_instantiations) << "run 3 replays";
    EXPECT_EQ(c3.graph_launches, c2.graph_launches + 1);
    EXPECT_EQ(c3.eager_work, c2.eager_work);
    EXPECT_EQ(c3.graph_work - c2.graph_work, c2.graph_work - c1.graph_work);
    EXPECT_EQ(max_abs_diff(first, second), 0.f);
    EXPECT_EQ(max_abs_diff(first, third), 0.f);

    for (int i = 0; i < 3; ++i) {
      const Tensor one = run(x1);
      for (int64_t c = 0; c < 10; ++c) {
        EXPECT_EQ(one.data<float>()[c], first.data<float>()[c]) << "run " << i << ", class " << c;
      }
    }
    const emu::Counters c4 = emu::counters();
    EXPECT_EQ(max_abs_diff(run(x4), first), 0.f) << "batch 4 after batch 1";
    const emu::Counters c5 = emu::counters();
    EXPECT_EQ(c5.graph_instantiations, c4.graph_instantiations) << "batch 4's graph is kept";
    EXPECT_EQ(c5.eager_work, c4.eager_work);

    const Tensor cpu = run_once(*Engine::compile_onnx(fashion_model()), fashion_inputs(0, 4));
    const double err = relative_l2(first, cpu);
    std::cout << precision_name(precision) << " batch 4 vs CPU fp32: relative L2 " << err << "\n";
    EXPECT_LE(err, precision == Precision::kFp32 ? 1e-5 : 1e-2);
  }
}

// MemoryKind::kCuda bindings: the same numbers as host bindings; rebinding other buffers updates
// (or re-captures) the graph so that it reads and writes the new ones and never the old ones.
TEST_F(CudaEmulation, DeviceMemoryBindings) {
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const std::string in = engine->inputs()[0].name, out = engine->outputs()[0].name;
  const Tensor xa = fashion_inputs(0, 4), xb = fashion_inputs(4, 4);
  const Tensor want_a = run_once(*engine, xa), want_b = run_once(*engine, xb);
  ASSERT_GT(max_abs_diff(want_a, want_b), 0.f);

  struct DeviceTensor {
    void* p = nullptr;
    size_t bytes = 0;
    ~DeviceTensor() {
      if (p) cudaFree(p);
    }
  };
  auto upload = [](const Tensor& t, DeviceTensor& d) {
    d.bytes = t.bytes();
    ASSERT_EQ(cudaMalloc(&d.p, d.bytes), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(d.p, t.raw(), d.bytes, cudaMemcpyHostToDevice), cudaSuccess);
  };
  auto download = [&](const DeviceTensor& d) {
    Tensor t(DataType::kF32, want_a.dims());
    EXPECT_EQ(cudaMemcpy(t.raw(), d.p, t.bytes(), cudaMemcpyDeviceToHost), cudaSuccess);
    return t;
  };
  DeviceTensor dxa, dya, dxb, dyb;
  upload(xa, dxa);
  upload(xb, dxb);
  upload(Tensor(DataType::kF32, want_a.dims()), dya);
  upload(Tensor(DataType::kF32, want_a.dims()), dyb);
  auto session = engine->create_session();
  auto run = [&](const DeviceTensor& x, const DeviceTensor& y) {
    session->run({{in, Tensor::view(DataType::kF32, xa.dims(), x.p), MemoryKind::kCuda}},
                 {{out, Tensor::view(DataType::kF32, want_a.dims(), y.p), MemoryKind::kCuda}});
  };

  for (int r = 0; r < 3; ++r) {  // eager, capture, replay
    run(dxa, dya);
    EXPECT_EQ(max_abs_diff(download(dya), want_a), 0.f) << "run " << r;
  }
  // Other buffers: the captured graph must follow them.
  const emu::Counters before = emu::counters();
  for (int r = 0; r < 2; ++r) {
    run(dxb, dyb);
    EXPECT_EQ(max_abs_diff(download(dyb), want_b), 0.f) << "rebound run " << r;
    EXPECT_EQ(max_abs_diff(download(dya), want_a), 0.f) << "the old output was written";
  }
  const emu::Counters after = emu::counters();
  EXPECT_EQ((after.graph_updates - before.graph_updates) +
                (after.graph_instantiations - before.graph_instantiations),
            1)
      << "one update (or new instantiation) for the new pointers, then a replay";
  std::cout << "rebinding: " << after.graph_updates - before.graph_updates << " graph update(s), "
            << after.graph_instantiations - before.graph_instantiations << " instantiation(s)\n";
  // With the first buffers freed, the graph must not touch them (a violation if it did).
  cudaFree(dxa.p);
  cudaFree(dya.p);
  dxa.p = dya.p = nullptr;
  run(dxb, dyb);
  EXPECT_EQ(max_abs_diff(download(dyb), want_b), 0.f);
  // Host bindings in the same session still work and agree.
  EXPECT_EQ(max_abs_diff(session->run({{in, xa}}).at(0), want_a), 0.f);

  // Misaligned device pointers are refused (cuBLASLt was promised 16-byte alignment).
  try {
    session->run({{in, Tensor::view(DataType::kF32, xa.dims(), static_cast<char*>(dxb.p) + 4),
                   MemoryKind::kCuda}},
                 {{out, Tensor::view(DataType::kF32, want_a.dims(), dyb.p), MemoryKind::kCuda}});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
  }
}

TEST_F(CudaEmulation, SessionsOnTwoThreads) {
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const Tensor x = fashion_inputs(0, 2);
  const Tensor want = run_once(*engine, x);
  std::vector<float> worst(2, -1.f);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto session = engine->create_session();
      worst[t] = 0.f;
      for (int r = 0; r < 3; ++r) {
        const Tensor got = session->run({{engine->inputs()[0].name, x}}).at(0);
        worst[t] = std::max(worst[t], max_abs_diff(got, want));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (float w : worst) EXPECT_EQ(w, 0.f);
}

// ---- small graphs: the ops and layouts ResNet-18 does not use ----------------------------------

namespace {

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(v);
}

void set_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  a->set_f(v);
}

std::vector<float> values(size_t count, uint32_t seed, float scale) {
  std::vector<float> v(count);
  uint32_t state = seed * 2654435761u + 1;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = scale * (static_cast<float>(state >> 8) / 16777216.f * 2.f - 1.f);
  }
  return v;
}

// x[N,3,9,9] -> Conv 3x3 stride 2, pads (0,0,1,1) -> Clip(0, 6) -> c [N,8,4,4]
//   c -> AveragePool 3x3 pad 1 count_include_pad -> MaxPool 2x2 -> m [N,8,2,2]
//   c -> LeakyRelu(0.1) -> AveragePool 2x2 stride 2 -> p [N,8,2,2]
//   Add(m, p) -> Relu -> r (output 2, NCHW) -> Flatten -> Gemm(alpha 0.5, beta 2, B [32,10])
//   -> Softmax -> y (output 1)
onnx::ModelProto edge_ops_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {-1, 3, 9, 9});
  add_io(m.mutable_graph()->add_output(), "y", {-1, 10});
  add_io(m.mutable_graph()->add_output(), "r", {-1, 8, 2, 2});
  add_initializer(m, "w", {8, 3, 3, 3}, values(8 * 3 * 3 * 3, 1, 0.5f));
  add_initializer(m, "b", {8}, values(8, 2, 0.5f));
  add_initializer(m, "lo", {}, {0.f});
  add_initializer(m, "hi", {}, {6.f});
  add_initializer(m, "gw", {32, 10}, values(32 * 10, 3, 0.5f));
  add_initializer(m, "gb", {10}, values(10, 4, 0.5f));
  auto* conv = add_node(m, "Conv", "conv", {"x", "w", "b"}, {"c0"});
  set_ints(conv, "strides", {2, 2});
  set_ints(conv, "pads", {0, 0, 1, 1});
  add_node(m, "Clip", "clip", {"c0", "lo", "hi"}, {"c"});
  auto* avg = add_node(m, "AveragePool", "avg_pad", {"c"}, {"a"});
  set_ints(avg, "kernel_shape", {3, 3});
  set_ints(avg, "pads", {1, 1, 1, 1});
  set_int(avg, "count_include_pad", 1);
  auto* max = add_node(m, "MaxPool", "max", {"a"}, {"mx"});
  set_ints(max, "kernel_shape", {2, 2});
  set_ints(max, "strides", {2, 2});
  set_float(add_node(m, "LeakyRelu", "leaky", {"c"}, {"l"}), "alpha", 0.1f);
  auto* avg2 = add_node(m, "AveragePool", "avg", {"l"}, {"p"});
  set_ints(avg2, "kernel_shape", {2, 2});
  set_ints(avg2, "strides", {2, 2});
  add_node(m, "Add", "add", {"mx", "p"}, {"s"});
  add_node(m, "Relu", "relu", {"s"}, {"r"});
  add_node(m, "Flatten", "flatten", {"r"}, {"f"});
  auto* gemm = add_node(m, "Gemm", "gemm", {"f", "gw", "gb"}, {"g"});
  set_float(gemm, "alpha", 0.5f);
  set_float(gemm, "beta", 2.f);
  add_node(m, "Softmax", "softmax", {"g"}, {"y"});
  return m;
}

// x[N,16,5,5] -> Conv 1x1 (direct GEMM on the NHWC input) + x -> Relu -> y1;
// x -> Conv 3x3 dilation 2, pad 2 -> y2 [N,8,5,5].
onnx::ModelProto residual_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {-1, 16, 5, 5});
  add_io(m.mutable_graph()->add_output(), "y1", {-1, 16, 5, 5});
  add_io(m.mutable_graph()->add_output(), "y2", {-1, 8, 5, 5});
  add_initializer(m, "w1", {16, 16, 1, 1}, values(16 * 16, 5, 0.3f));
  add_initializer(m, "b1", {16}, values(16, 6, 0.3f));
  add_initializer(m, "w2", {8, 16, 3, 3}, values(8 * 16 * 9, 7, 0.2f));
  add_node(m, "Conv", "conv1x1", {"x", "w1", "b1"}, {"c"});
  add_node(m, "Add", "residual", {"c", "x"}, {"s"});
  add_node(m, "Relu", "relu", {"s"}, {"y1"});
  auto* dil = add_node(m, "Conv", "dilated", {"x", "w2"}, {"y2"});
  set_ints(dil, "dilations", {2, 2});
  set_ints(dil, "pads", {2, 2, 2, 2});
  return m;
}

// x[N,20] -> MatMul [20,7] -> Relu -> y.
onnx::ModelProto matmul_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {-1, 20});
  add_io(m.mutable_graph()->add_output(), "y", {-1, 7});
  add_initializer(m, "w", {20, 7}, values(20 * 7, 8, 0.5f));
  add_node(m, "MatMul", "matmul", {"x", "w"}, {"mm"});
  add_node(m, "Relu", "relu", {"mm"}, {"y"});
  return m;
}

struct SmallGraph {
  const char* name;
  onnx::ModelProto (*build)();
  Dims input;
};

const SmallGraph kSmallGraphs[] = {
    {"edge_ops", edge_ops_model, {3, 3, 9, 9}},
    {"residual", residual_model, {3, 16, 5, 5}},
    {"matmul", matmul_model, {3, 20}},
};

}  // namespace

TEST_F(CudaEmulation, SmallGraphsMatchCpu) {
  for (const SmallGraph& graph : kSmallGraphs) {
    const std::string path =
        std::string(LOWP_BINARY_DIR) + "/cuda_emulated_" + graph.name + ".onnx";
    save_model(graph.build(), path);
    const Tensor x = random_tensor(graph.input, 11, -2.f, 2.f);
    auto cpu = Engine::compile_onnx(path);
    const std::vector<Tensor> want = cpu->create_session()->run({{"x", x}});
    for (Precision precision : {Precision::kFp32, Precision::kFp16}) {
      for (const CudnnMode& mode : kCudnnModes) {
        SCOPED_TRACE(std::string(graph.name) + " " + precision_name(precision) + " " + mode.name);
        emu::set_cudnn_speed(mode.speed);
        CompileOptions options = options_for(Device::kCuda, precision);
        options.keep_io_types = true;
        auto engine = Engine::compile_onnx(path, options);
        auto session = engine->create_session();
        for (int run = 0; run < 3; ++run) {  // eager, capture, replay
          const std::vector<Tensor> got = session->run({{"x", x}});
          ASSERT_EQ(got.size(), want.size());
          for (size_t i = 0; i < got.size(); ++i) {
            const double err = relative_l2(got[i], want[i]);
            if (run == 0 && mode.speed == 0.5) {
              std::cout << graph.name << " output " << i << ", " << precision_name(precision)
                        << ": relative L2 " << err << "\n";
            }
            EXPECT_LE(err, precision == Precision::kFp32 ? 1e-5 : 1e-2)
                << "output " << i << ", run " << run;
          }
        }
      }
    }
  }
}

// int8 plans of the small graphs (calibrated on noise: only agreement matters): int8 convolutions
// with fused residual / activation, int8 pooling and Add, Q / DQ at layout changes.
TEST_F(CudaEmulation, SmallGraphsInt8AgreeWithCpuInt8) {
  for (const SmallGraph& graph : kSmallGraphs) {
    SCOPED_TRACE(graph.name);
    const std::string path =
        std::string(LOWP_BINARY_DIR) + "/cuda_emulated_" + graph.name + ".onnx";
    save_model(graph.build(), path);
    Dims calib_dims = graph.input;
    calib_dims[0] = -1;
    CompileOptions int8 = options_for(Device::kCpu, Precision::kInt8);
    int8.calibration.source =
        io::make_calibration_source("random", "random", 32, 8, std::nullopt, calib_dims);
    auto cpu = Engine::compile_onnx(path, int8);
    auto engine = reload_for(*cpu, Device::kCuda, path + ".int8.plan");
    int int8_nodes = 0;
    for (const std::string& line : engine->describe()) {
      int8_nodes += line.find("int8") != std::string::npos;
    }
    const Tensor x = random_tensor(graph.input, 11, -2.f, 2.f);
    const std::vector<Tensor> want = cpu->create_session()->run({{"x", x}});
    auto session = engine->create_session();
    for (int run = 0; run < 3; ++run) {  // eager, capture, replay
      const std::vector<Tensor> got = session->run({{"x", x}});
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        const double err = relative_l2(got[i], want[i]);
        if (run == 0) {
          std::cout << graph.name << " int8 (" << int8_nodes << " int8 nodes) output " << i
                    << ": relative L2 to CPU int8 " << err << "\n";
        }
        EXPECT_LE(err, 1e-2) << "output " << i << ", run " << run;
      }
    }
  }
}

// The outputs of `engine`'s graph run by a CudaCompiledModel lowered with `slice_bytes` as the
// im2col slice limit (cuDNN off: every convolution takes im2col + cuBLASLt), and the program's
// arena bytes and im2col steps for these dims.
struct SlicedRun {
  std::vector<Tensor> outputs;
  size_t arena_bytes = 0;
  int im2col_steps = 0;
};

SlicedRun run_with_slices(const std::shared_ptr<const Engine>& engine, const Tensor& x,
                          size_t slice_bytes) {
  const std::shared_ptr<const Graph> graph(engine, &engine->graph());
  cuda::CudaCompiledModel model(graph, engine->options(), {}, slice_bytes);
  SlicedRun r;
  for (const TensorDesc& d : engine->outputs()) {
    Dims dims = d.dims;
    if (!dims.empty() && dims[0] < 0) dims[0] = x.dims()[0];
    r.outputs.emplace_back(d.dtype, dims);
  }
  std::vector<Tensor*> outputs;
  for (Tensor& t : r.outputs) outputs.push_back(&t);
  auto context = model.create_context();
  model.run(*context, {&x}, outputs);
  const auto program = model.program_for({x.dims()});
  r.arena_bytes = program->arena_bytes;
  for (const cuda::Step& step : program->steps) {
    r.im2col_steps += step.what.find(": im2col ") != std::string::npos;
  }
  return r;
}

// Convolutions whose im2col columns pass the slice limit run in slices of whole images: the same
// results as unsliced (bit for bit here: the emulated GEMM's sums do not depend on m), a smaller
// activation arena, one im2col per slice. Float and int8, the cuBLASLt epilogue, lowp's epilogue
// kernels after the GEMM (Clip: float bias / activation kernel, int8 s32 + requantize kernel),
// residuals (ResNet-18's basic blocks) and int8 requantizing GEMMs.
TEST_F(CudaEmulation, ConvolutionsRunInImageSlicesPastTheLimit) {
  emu::set_cudnn_speed(0.0);
  const std::string edge_path = std::string(LOWP_BINARY_DIR) + "/cuda_emulated_sliced_edge.onnx";
  save_model(edge_ops_model(), edge_path);
  CompileOptions edge_int8 = options_for(Device::kCpu, Precision::kInt8);
  edge_int8.calibration.source =
      io::make_calibration_source("random", "random", 16, 8, std::nullopt, {-1, 3, 9, 9});
  struct Case {
    const char* name;
    std::shared_ptr<const Engine> engine;
    Tensor x;
  };
  const std::string dir = std::string(LOWP_BINARY_DIR);
  const Case cases[] = {
      {"Fashion fp32",
       Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32)),
       fashion_inputs(0, 6)},
      {"Fashion int8",
       reload_for(*fashion_int8_on_cpu(32, 16), Device::kCuda,
                  dir + "/cuda_emulated_sliced_int8.plan"),
       fashion_inputs(0, 6)},
      {"edge_ops fp32",
       Engine::compile_onnx(edge_path, options_for(Device::kCuda, Precision::kFp32)),
       random_tensor({5, 3, 9, 9}, 11, -2.f, 2.f)},
      {"edge_ops int8",
       reload_for(*Engine::compile_onnx(edge_path, edge_int8), Device::kCuda,
                  dir + "/cuda_emulated_sliced_edge.plan"),
       random_tensor({5, 3, 9, 9}, 11, -2.f, 2.f)},
  };
  for (const auto& [c, requantize_in_gemm] : {std::pair{&cases[0], true},
                                              {&cases[1], true},
                                              {&cases[1], false},
                                              {&cases[2], true},
                                              {&cases[3], true}}) {
    SCOPED_TRACE(std::string(c->name) + (requantize_in_gemm ? "" : ", s32 + epilogue kernel"));
    emu::set_int8_requantize_supported(requantize_in_gemm);
    const SlicedRun whole = run_with_slices(c->engine, c->x, size_t{1} << 30);
    const SlicedRun sliced = run_with_slices(c->engine, c->x, 1);  // one image per slice
    ASSERT_EQ(whole.outputs.size(), sliced.outputs.size());
    for (size_t i = 0; i < whole.outputs.size(); ++i) {
      EXPECT_EQ(max_abs_diff(sliced.outputs[i].cast(DataType::kF32),
                             whole.outputs[i].cast(DataType::kF32)),
                0.f)
          << "output " << i;
    }
    const int64_t batch = c->x.dims()[0];
    EXPECT_EQ(sliced.im2col_steps, whole.im2col_steps * batch);
    EXPECT_LE(sliced.arena_bytes, whole.arena_bytes);
    // (The small graph's buffers are below the arena's 256-byte granularity.)
    if (std::string(c->name).starts_with("Fashion")) {
      EXPECT_LT(sliced.arena_bytes, whole.arena_bytes * 6 / 10);
    }
    std::cout << c->name << " batch " << batch << ": arena " << whole.arena_bytes
              << " bytes whole, " << sliced.arena_bytes << " in one-image slices; im2col steps "
              << whole.im2col_steps << " -> " << sliced.im2col_steps << "\n";
  }
}

// The activation arena ResNet-18's ImageNet graph needs at batch 256, with the default im2col
// slice limit (32 MiB) and without slices: the lowering's memory plan, which does not depend on
// the GPU (printed for BENCHMARKS.md; cuDNN off, so every convolution takes im2col + cuBLASLt).
TEST_F(CudaEmulation, ImageNetBatch256ArenaWithSlices) {
  const std::string model = test_model("resnet18_imagenet_arch.onnx");
  emu::set_cudnn_speed(0.0);
  CompileOptions int8 = options_for(Device::kCpu, Precision::kInt8);
  int8.calibration.source =
      io::make_calibration_source("random", "random", 4, 4, std::nullopt, {-1, 3, 224, 224});
  const std::string dir = std::string(LOWP_BINARY_DIR);
  const std::pair<const char*, std::shared_ptr<const Engine>> engines[] = {
      {"fp16", Engine::compile_onnx(model, options_for(Device::kCuda, Precision::kFp16))},
      {"int8", reload_for(*Engine::compile_onnx(model, int8), Device::kCuda,
                          dir + "/cuda_emulated_imagenet_int8.plan")},
  };
  for (const auto& [name, engine] : engines) {
    const std::shared_ptr<const Graph> graph(engine, &engine->graph());
    size_t arena[2] = {};
    const size_t limits[2] = {cuda::LoweringOptions{}.im2col_slice_bytes, size_t{1} << 40};
    for (int i = 0; i < 2; ++i) {
      cuda::CudaCompiledModel compiled(graph, engine->options(), {}, limits[i]);
      arena[i] = compiled.program_for({{256, 3, 224, 224}})->arena_bytes;
    }
    std::cout << "ImageNet ResNet-18 " << name
              << " batch 256, activation arena: " << arena[0] / (1 << 20)
              << " MiB with 32 MiB im2col slices, " << arena[1] / (1 << 20) << " MiB without\n";
    EXPECT_LT(arena[0], arena[1]);
  }
  // int8 through s32 accumulators + lowp's epilogue kernel (a cuBLASLt without s8 -> s8): the
  // accumulators take arena space too.
  emu::set_int8_requantize_supported(false);
  const std::shared_ptr<const Engine>& int8_engine = engines[1].second;
  cuda::CudaCompiledModel s32(std::shared_ptr<const Graph>(int8_engine, &int8_engine->graph()),
                              int8_engine->options(), {});
  const size_t s32_arena = s32.program_for({{256, 3, 224, 224}})->arena_bytes;
  std::cout << "ImageNet ResNet-18 int8 batch 256 through s32 accumulators: activation arena "
            << s32_arena / (1 << 20) << " MiB with 32 MiB im2col slices\n";
}

// An engine runs on the GPU it was compiled (or loaded) for, from threads with any device current,
// and leaves their current device as it was; a device the machine lacks is a clear error.
TEST_F(CudaEmulation, EnginesRunOnTheirOwnDevice) {
  emu::set_device_count(2);
  const Tensor x = fashion_inputs(0, 2);
  const Tensor want = run_once(*Engine::compile_onnx(fashion_model()), x);
  CompileOptions options = options_for(Device::kCuda, Precision::kFp32);
  options.cuda_device = 1;
  auto engine = Engine::compile_onnx(fashion_model(), options);
  int current = -1;
  ASSERT_EQ(cudaGetDevice(&current), cudaSuccess);
  EXPECT_EQ(current, 0) << "compiling for device 1 changed this thread's device";
  EXPECT_EQ(engine->describe().at(0).rfind("CUDA device 1:", 0), 0u) << engine->describe().at(0);
  const std::string plan = std::string(LOWP_BINARY_DIR) + "/emulated_device1.plan";
  engine->save_plan(plan);
  RuntimeOptions on_1;
  on_1.cuda_device = 1;
  auto loaded = Engine::load_plan(plan, on_1);
  EXPECT_EQ(loaded->describe().at(0).rfind("CUDA device 1:", 0), 0u);
  for (const auto& e : {engine, loaded}) {
    for (int thread_device : {0, 1}) {
      std::thread thread([&] {
        ASSERT_EQ(cudaSetDevice(thread_device), cudaSuccess);
        {
          auto session = e->create_session();
          const std::string in = e->inputs()[0].name;
          for (int run = 0; run < 2; ++run) {  // eager, then captured
            EXPECT_LE(relative_l2(session->run({{in, x}}).at(0), want), 1e-5);
          }
        }
        int after = -1;
        EXPECT_EQ(cudaGetDevice(&after), cudaSuccess);
        EXPECT_EQ(after, thread_device) << "a run left another device current";
      });
      thread.join();
    }
  }
  options.cuda_device = 2;
  try {
    Engine::compile_onnx(fashion_model(), options);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("CUDA device 2: this machine has 2"), std::string::npos)
        << e.what();
  }
}

// ---- error paths
// ---------------------------------------------------------------------------------

// A GEMM or kernel launch failing in the eager run or while capturing: the run throws naming what
// failed, the session's next runs work (capture starts over) and nothing leaks.
TEST_F(CudaEmulation, RunFailuresAreReportedAndRecoveredFrom) {
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const Tensor x = fashion_inputs(0, 2);
  const Tensor want = run_once(*engine, x);
  const std::string in = engine->inputs()[0].name;
  struct Case {
    emu::Fault fault;
    int skip;
    const char* names;  // the message names this
  };
  const Case cases[] = {{emu::Fault::kMatmul, 0, "cublasLtMatmul"},
                        {emu::Fault::kKernelLaunch, 1, "kernel "},
                        {emu::Fault::kDeviceMalloc, 0, "cudaMalloc"}};
  for (const Case& c : cases) {
    for (int failing_run = 0; failing_run < 2; ++failing_run) {  // eager, capture
      SCOPED_TRACE(std::string(c.names) + (failing_run ? " while capturing" : " eagerly"));
      if (c.fault == emu::Fault::kDeviceMalloc && failing_run == 1) continue;  // allocates once
      auto session = engine->create_session();
      if (failing_run == 1) {
        EXPECT_EQ(max_abs_diff(session->run({{in, x}}).at(0), want), 0.f);
      }
      emu::inject_fault(c.fault, c.skip);
      try {
        session->run({{in, x}});
        ADD_FAILURE() << "expected an error";
      } catch (const Error& e) {
        std::cout << "injected failure: " << e.what() << "\n";
        EXPECT_NE(std::string(e.what()).find(c.names), std::string::npos) << e.what();
      }
      emu::clear_faults();
      for (int r = 0; r < 3; ++r) {
        EXPECT_EQ(max_abs_diff(session->run({{in, x}}).at(0), want), 0.f) << "run " << r;
      }
      cudaStreamCaptureStatus status;
      EXPECT_EQ(cudaStreamIsCapturing(nullptr, &status), cudaSuccess);
    }
  }
  EXPECT_TRUE(emu::violations().empty());
}

// Device memory running out at any point of compiling: an error, no leak, no crash.
TEST_F(CudaEmulation, OutOfDeviceMemoryWhileCompiling) {
  int failures = 0;
  for (int skip : {0, 2, 10, 40, 80, 120, 200, 400}) {
    emu::inject_fault(emu::Fault::kDeviceMalloc, skip);
    try {
      CompileOptions half = options_for(Device::kCuda, Precision::kFp16);
      half.keep_io_types = true;
      auto engine = Engine::compile_onnx(fashion_model(), half);
      run_once(*engine, fashion_inputs(0, 1));
    } catch (const Error& e) {
      ++failures;
      EXPECT_NE(std::string(e.what()).find("cudaMalloc"), std::string::npos) << e.what();
    }
    emu::clear_faults();
  }
  EXPECT_GT(failures, 0);
}

// Tactics measured at compile time travel in the plan: loading it and running the compiled batch
// size searches no algorithm again, and gives the same result. A plan whose tactics came from
// another GPU (other key prefix) is timed again.
TEST_F(CudaEmulation, TacticsAreStoredInThePlanAndReused) {
  const Tensor x = fashion_inputs(0, 1);
  CompileOptions options;
  options.device = Device::kCuda;
  options.precision = Precision::kFp16;
  options.keep_io_types = true;
  const emu::Counters c0 = emu::counters();
  auto engine = Engine::compile_onnx(fashion_model(), options);
  const Tensor want = run_once(*engine, x);
  const emu::Counters c1 = emu::counters();
  EXPECT_GT(c1.algorithm_searches, c0.algorithm_searches);
  const std::string plan = std::string(LOWP_BINARY_DIR) + "/emulated_tactics.plan";
  engine->save_plan(plan);

  auto loaded = Engine::load_plan(plan);
  const Tensor got = run_once(*loaded, x);
  const emu::Counters c2 = emu::counters();
  EXPECT_EQ(c2.algorithm_searches, c1.algorithm_searches) << "batch 1 tactics came from the plan";
  EXPECT_EQ(max_abs_diff(got.cast(DataType::kF32), want.cast(DataType::kF32)), 0.f);
  bool from_plan = false;
  for (const std::string& line : loaded->describe()) {
    from_plan = from_plan || line.find("from the plan") != std::string::npos;
  }
  EXPECT_TRUE(from_plan);

  // Another batch size was never measured: it searches.
  run_once(*loaded, fashion_inputs(0, 2));
  EXPECT_GT(emu::counters().algorithm_searches, c2.algorithm_searches);

  // Unless it was tuned at compile time: then the plan holds its tactics too.
  options.tune_batch_sizes = {2, 3};
  auto tuned = Engine::compile_onnx(fashion_model(), options);
  tuned->save_plan(plan);
  auto tuned_loaded = Engine::load_plan(plan);
  const emu::Counters c3 = emu::counters();
  const Tensor two = run_once(*tuned_loaded, fashion_inputs(0, 2));
  run_once(*tuned_loaded, fashion_inputs(0, 3));
  EXPECT_EQ(emu::counters().algorithm_searches, c3.algorithm_searches)
      << "batch 2 and 3 tactics came from the plan";
  EXPECT_LT(max_abs_diff(two.cast(DataType::kF32),
                         run_once(*engine, fashion_inputs(0, 2)).cast(DataType::kF32)),
            1e-2f);

  // A batch size the model cannot take is a clear error at compile time.
  options.tune_batch_sizes = {0};
  EXPECT_THROW(Engine::compile_onnx(fashion_model(), options), Error);
}

// ONNX's node tests on the emulated CUDA backend: every test the CPU backend passes and the CUDA
// backend accepts must match ONNX's expected outputs (atol 1e-5 as on a GPU), which checks the
// lowering of each op's attributes (pads, strides, dilations, ceil_mode, transB, alpha / beta,
// axes, Q/DQ parameters) beyond what ResNet-18 uses.
TEST_F(CudaEmulation, OnnxNodeTestsMatch) {
  ASSERT_TRUE(file_exists(onnx_node_tests_dir())) << "no ONNX node test data";
  const auto r = node_cases::run_cpu_passing_cases_on(Device::kCuda, 1e-5f);
  std::cout << "ONNX node tests on the emulated CUDA backend: " << r.passed << " passed, "
            << r.failed << " failed, " << r.unsupported << " rejected as unsupported\n";
  EXPECT_GT(r.passed, 0);
}

// A session that sees many batch sizes keeps the buffers and CUDA graphs of the latest few only,
// and a shape it dropped runs correctly again.
TEST_F(CudaEmulation, ManyShapesKeepBoundedDeviceState) {
  CompileOptions options;
  options.device = Device::kCuda;
  auto engine = Engine::compile_onnx(fashion_model(), options);
  auto session = engine->create_session();
  const std::string in = engine->inputs()[0].name;
  const Tensor x1 = fashion_inputs(0, 1);
  const Tensor first = session->run({{in, x1}}).at(0);
  const emu::Counters start = emu::counters();
  for (int64_t batch = 2; batch <= 9; ++batch) {
    const Tensor x = fashion_inputs(0, batch);
    session->run({{in, x}});
    session->run({{in, x}});  // captured
  }
  const emu::Counters after = emu::counters();
  EXPECT_LE(after.live_graph_execs - start.live_graph_execs, 4);
  EXPECT_LE(after.live_pinned_allocations - start.live_pinned_allocations, 4);
  EXPECT_EQ(max_abs_diff(session->run({{in, x1}}).at(0), first), 0.f);
}

// Bad input on the CUDA path: an op the backend lacks is named at compile time (with its node),
// and bindings in mixed kinds of memory are refused before anything runs.
TEST_F(CudaEmulation, UnsupportedOperatorsAndMixedMemoryAreClearErrors) {
  const std::string path = std::string(LOWP_BINARY_DIR) + "/emulated_cuda_unsupported.onnx";
  save_model(sigmoid_model(), path);
  try {
    Engine::compile_onnx(path, options_for(Device::kCuda, Precision::kFp32));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("the_sigmoid"), std::string::npos) << e.what();
  }
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const Tensor x = fashion_inputs(0, 1);
  Tensor y(DataType::kF32, {1, 10});
  try {
    engine->create_session()->run({{"input", x, MemoryKind::kHost}},
                                  {{engine->outputs()[0].name, y, MemoryKind::kCuda}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("another kind of memory"), std::string::npos) << e.what();
  }
}
