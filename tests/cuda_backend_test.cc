// The CUDA backend. Without a GPU (or in a build without CUDA) every test that needs one skips
// with the reason; the error paths that need no GPU always run.
// On a GPU: ResNet-18 parity against the CPU backend (fp32 within 1e-3 relative L2, fp16 within
// 1e-2), int8 on the whole Fashion-MNIST test set (agreement with CPU fp32 >= 99.7%, accuracy >=
// 92.7%), CUDA graph replay and batch changes, device-memory bindings, many sessions from many
// threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <thread>

#include "engine/plan_format.h"
#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"
#include "tools/io/idx.h"

#if LOWP_TEST_CUDA_RUNTIME
#include <cuda_runtime.h>
#endif

using namespace lowp;
using namespace lowp::testing;

namespace {

#define SKIP_WITHOUT_GPU()                                                               \
  do {                                                                                   \
    if (cuda_device_count() == 0) GTEST_SKIP() << "CUDA: " << cuda_unavailable_reason(); \
  } while (0)

std::string fashion_model() { return source_dir() + "/models/resnet18_fashion.onnx"; }

Tensor fashion_inputs(int64_t count) {
  const io::IdxImages test = io::read_idx_images(fashion_dir() + "/t10k-images-idx3-ubyte.gz");
  return fashion_batch(test, 0, count);
}

}  // namespace

TEST(CudaBackend, UnavailableCudaIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(cuda_unavailable_reason().empty());
}

// A CUDA plan on a machine that cannot run CUDA: loading it says so and how to run it on the CPU;
// `lowp inspect` describes it for the CPU backend with a note instead of failing.
TEST(CudaBackend, CudaPlanWithoutAGpu) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  auto cpu = Engine::compile_onnx(fashion_model());
  CompileOptions cuda_options = cpu->options();
  cuda_options.device = Device::kCuda;
  const std::string plan = std::string(LOWP_BINARY_DIR) + "/cuda_plan_without_gpu.plan";
  write_plan(plan, cpu->graph(), cuda_options);
  try {
    Engine::load_plan(plan);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    const std::string what = e.what();
    EXPECT_NE(what.find(plan + ": a CUDA plan"), std::string::npos) << what;
    EXPECT_NE(what.find("RuntimeOptions::device"), std::string::npos) << what;
  }
  RuntimeOptions on_cpu;
  on_cpu.device = Device::kCpu;
  const Tensor x = random_tensor({1, 3, 64, 64}, 3);
  EXPECT_EQ(max_abs_diff(run_once(*Engine::load_plan(plan, on_cpu), x), run_once(*cpu, x)), 0.f);

  const std::string lowp = std::string(LOWP_BINARY_DIR) + "/tools/lowp";
  ASSERT_TRUE(file_exists(lowp)) << "no " << lowp;
  FILE* pipe = popen((lowp + " inspect " + plan + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (size_t got; (got = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, got);
  EXPECT_EQ(pclose(pipe), 0) << out;
  EXPECT_NE(out.find("note: a CUDA plan; no usable CUDA device here"), std::string::npos) << out;
  EXPECT_NE(out.find("execution (cpu backend, batch 1)"), std::string::npos) << out;
}

#if LOWP_TEST_CUDA_RUNTIME
// A GPU ordinal the machine lacks is a clear error; with several GPUs, an engine on the last one
// runs from a thread whose current device is the first and leaves it current.
TEST(CudaBackend, CudaDeviceOption) {
  SKIP_WITHOUT_GPU();
  const int count = cuda_device_count();
  CompileOptions options = options_for(Device::kCuda, Precision::kFp32);
  options.cuda_device = count;
  try {
    Engine::compile_onnx(fashion_model(), options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("this machine has " + std::to_string(count)),
              std::string::npos)
        << e.what();
  }
  options.cuda_device = count - 1;
  auto engine = Engine::compile_onnx(fashion_model(), options);
  EXPECT_EQ(engine->describe().at(0).rfind("CUDA device " + std::to_string(count - 1) + ":", 0),
            0u);
  const Tensor x = random_tensor({2, 3, 64, 64}, 5);
  const Tensor want = run_once(*Engine::compile_onnx(fashion_model()), x);
  std::thread thread([&] {
    ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
    EXPECT_LE(relative_l2(run_once(*engine, x), want), 1e-3);
    int after = -1;
    EXPECT_EQ(cudaGetDevice(&after), cudaSuccess);
    EXPECT_EQ(after, 0);
  });
  thread.join();
}
#endif

TEST(CudaBackend, Bf16IsACpuOption) {
  try {
    Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kBf16));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fp16"), std::string::npos) << e.what();
  }
}

TEST(CudaBackend, DeviceBindingsOnACpuEngineAreRejected) {
  auto engine = Engine::compile_onnx(fashion_model());
  Tensor x = random_tensor({1, 3, 64, 64}, 1);
  Tensor y(DataType::kF32, {1, 10});
  try {
    engine->create_session()->run({{"input", x, MemoryKind::kCuda}},
                                  {{engine->outputs()[0].name, y, MemoryKind::kCuda}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("host memory"), std::string::npos) << e.what();
  }
}

TEST(CudaBackend, UnsupportedOperatorIsNamed) {
  SKIP_WITHOUT_GPU();
  const std::string path = std::string(LOWP_BINARY_DIR) + "/cuda_unsupported.onnx";
  save_model(sigmoid_model(), path);
  try {
    Engine::compile_onnx(path, options_for(Device::kCuda, Precision::kFp32));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the_sigmoid"), std::string::npos) << e.what();
  }
}

TEST(CudaBackend, Fp32MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const Tensor x = fashion_inputs(16);
  const Tensor cpu = run_once(*Engine::compile_onnx(fashion_model()), x);
  const Tensor gpu = run_once(
      *Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32)), x);
  const double err = relative_l2(gpu, cpu);
  std::cout << "CUDA fp32 vs CPU fp32: relative L2 " << err << "\n";
  EXPECT_LE(err, 1e-3);
}

TEST(CudaBackend, ImageNetGraphFp32AndFp16MatchCpu) {
  SKIP_WITHOUT_GPU();
  const std::string model = test_model("resnet18_imagenet_arch.onnx");
  const Tensor x = random_tensor({2, 3, 224, 224}, 7, -2.f, 2.f);
  const Tensor cpu = run_once(*Engine::compile_onnx(model), x);
  const Tensor f32 =
      run_once(*Engine::compile_onnx(model, options_for(Device::kCuda, Precision::kFp32)), x);
  CompileOptions half = options_for(Device::kCuda, Precision::kFp16);
  half.keep_io_types = true;
  const Tensor f16 = run_once(*Engine::compile_onnx(model, half), x);
  std::cout << "ImageNet graph, CUDA vs CPU fp32: fp32 " << relative_l2(f32, cpu) << ", fp16 "
            << relative_l2(f16, cpu) << " relative L2\n";
  EXPECT_LE(relative_l2(f32, cpu), 1e-3);
  EXPECT_LE(relative_l2(f16, cpu), 1e-2);
}

TEST(CudaBackend, Fp16MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const Tensor x = fashion_inputs(16);
  const Tensor cpu = run_once(*Engine::compile_onnx(fashion_model()), x);
  CompileOptions half = options_for(Device::kCuda, Precision::kFp16);
  half.keep_io_types = true;
  const Tensor gpu = run_once(*Engine::compile_onnx(fashion_model(), half), x);
  const double err = relative_l2(gpu, cpu);
  std::cout << "CUDA fp16 vs CPU fp32: relative L2 " << err << "\n";
  EXPECT_LE(err, 1e-2);
}

TEST(CudaBackend, GraphReplayAndBatchChangesGiveTheSameResults) {
  SKIP_WITHOUT_GPU();
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp16));
  auto session = engine->create_session();
  const std::string in = engine->inputs()[0].name;
  const Tensor x4 = random_tensor({4, 3, 64, 64}, 3);
  const Tensor x4h = x4.cast(DataType::kF16);
  const Tensor first = session->run({{in, x4h}}).at(0);   // eager
  const Tensor second = session->run({{in, x4h}}).at(0);  // captured graph
  const Tensor third = session->run({{in, x4h}}).at(0);   // replay
  EXPECT_EQ(max_abs_diff(first.cast(DataType::kF32), second.cast(DataType::kF32)), 0.f);
  EXPECT_EQ(max_abs_diff(first.cast(DataType::kF32), third.cast(DataType::kF32)), 0.f);
  const Tensor x1 = Tensor::view(DataType::kF16, {1, 3, 64, 64}, const_cast<void*>(x4h.raw()));
  for (int i = 0; i < 3; ++i) {
    const Tensor one = session->run({{in, x1}}).at(0).cast(DataType::kF32);
    const Tensor first_row = first.cast(DataType::kF32);
    for (int64_t c = 0; c < 10; ++c) {
      EXPECT_NEAR(one.data<float>()[c], first_row.data<float>()[c], 2e-2f) << "class " << c;
    }
  }
}

TEST(CudaBackend, ManySessionsFromManyThreads) {
  SKIP_WITHOUT_GPU();
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const Tensor x = fashion_inputs(8);
  const Tensor want = run_once(*engine, x);
  std::vector<std::thread> threads;
  std::vector<float> worst(8, 0.f);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto session = engine->create_session();
      for (int r = 0; r < 20; ++r) {
        const Tensor got = session->run({{engine->inputs()[0].name, x}}).at(0);
        worst[t] = std::max(worst[t], max_abs_diff(got, want));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (float w : worst) EXPECT_EQ(w, 0.f);
}

#if LOWP_TEST_CUDA_RUNTIME
TEST(CudaBackend, DeviceMemoryBindings) {
  SKIP_WITHOUT_GPU();
  auto engine = Engine::compile_onnx(fashion_model(), options_for(Device::kCuda, Precision::kFp32));
  const Tensor x = fashion_inputs(4);
  const Tensor want = run_once(*engine, x);
  void* dx = nullptr;
  void* dy = nullptr;
  ASSERT_EQ(cudaMalloc(&dx, x.bytes()), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dy, want.bytes()), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, x.raw(), x.bytes(), cudaMemcpyHostToDevice), cudaSuccess);
  auto session = engine->create_session();
  Tensor got(DataType::kF32, want.dims());
  for (int r = 0; r < 3; ++r) {  // eager, capture, replay
    session->run(
        {{engine->inputs()[0].name, Tensor::view(DataType::kF32, x.dims(), dx), MemoryKind::kCuda}},
        {{engine->outputs()[0].name, Tensor::view(DataType::kF32, want.dims(), dy),
          MemoryKind::kCuda}});
    ASSERT_EQ(cudaMemcpy(got.raw(), dy, got.bytes(), cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(max_abs_diff(got, want), 0.f) << "run " << r;
  }
  cudaFree(dx);
  cudaFree(dy);
}
#endif

TEST(CudaBackend, Int8FashionAccuracyAndAgreement) {
  SKIP_WITHOUT_GPU();
  const std::string dir = fashion_dir();
  // Calibrate on the CPU (512 training images, default calibrator), then run the same int8 graph
  // on CUDA through a plan loaded for the GPU. LOWP_FASHION_CALIB_CACHE names a calibration cache
  // made from those images (`lowp compile --calib-cache`), for machines without the training set.
  CompileOptions int8 = options_for(Device::kCpu, Precision::kInt8);
  if (const char* cache = std::getenv("LOWP_FASHION_CALIB_CACHE")) {
    int8.calibration.cache_path = cache;
  } else {
    int8.calibration.source = io::make_calibration_source(
        dir, "idx", 512, 64, preprocessing_preset("fashion"), {-1, 3, 64, 64});
  }
  auto cpu_int8 = Engine::compile_onnx(fashion_model(), int8);
  auto cuda_int8 = reload_for(*cpu_int8, Device::kCuda,
                              std::string(LOWP_BINARY_DIR) + "/cuda_int8_fashion.plan");
  auto fp32 = Engine::compile_onnx(fashion_model());
  const TestSetTop1 r = fashion_test_set_top1(*cuda_int8, *fp32, 500);
  std::cout << "CUDA int8 on " << r.images << " Fashion test images: top-1 " << r.accuracy_percent()
            << "%, agreement with CPU fp32 " << r.agreement_percent() << "%\n";
  EXPECT_GE(r.agree * 1000, r.images * 997);
  EXPECT_GE(r.correct * 1000, r.images * 927);
}
