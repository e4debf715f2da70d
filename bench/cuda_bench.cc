// CUDA latency and throughput of one model at one precision, through the public API with
// device-resident inputs and outputs (MemoryKind::kCuda, so each run is one CUDA graph replay
// plus a stream synchronisation):
//   - batch 1: median and p99 of `runs1` runs after warm-up;
//   - batch B: median of `runs_big` runs, as images per second.
// int8 calibrates on random inputs (scales do not change speed) unless a calibration cache is
// given. One JSON object on stdout.
//
//   cuda_bench MODEL.onnx fp32|tf32|fp16|int8 [runs1=1000] [B=256] [runs_big=50] [calib_cache]
#include <cuda_runtime.h>
#include <lowp/lowp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

class RandomCalibration : public lowp::CalibrationSource {
 public:
  explicit RandomCalibration(lowp::Dims dims) : dims_(std::move(dims)) {}
  bool next(std::vector<lowp::Tensor>& inputs) override {
    if (batches_++ == 4) return false;
    lowp::Tensor t(lowp::DataType::kF32, dims_);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng_);
    inputs = {t};
    return true;
  }
  std::string describe() const override { return "4 random batches (speed benchmark only)"; }

 private:
  lowp::Dims dims_;
  int batches_ = 0;
  std::mt19937 rng_{1};
};

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    std::fprintf(stderr, "cuda_bench: %s: %s\n", what, cudaGetErrorString(status));
    std::exit(1);
  }
}

struct Timing {
  double median_ms = 0, p99_ms = 0;
};

Timing time_runs(const lowp::Engine& engine, int64_t batch, int runs) {
  lowp::Dims in_dims = engine.inputs()[0].dims;
  in_dims[0] = batch;
  const std::vector<lowp::Dims> out = engine.output_dims({in_dims});
  const lowp::DataType in_type = engine.inputs()[0].dtype;
  const lowp::DataType out_type = engine.outputs()[0].dtype;
  void* dx = nullptr;
  void* dy = nullptr;
  const size_t in_bytes = lowp::element_count(in_dims) * lowp::size_of(in_type);
  const size_t out_bytes = lowp::element_count(out[0]) * lowp::size_of(out_type);
  check(cudaMalloc(&dx, in_bytes), "cudaMalloc");
  check(cudaMalloc(&dy, out_bytes), "cudaMalloc");
  check(cudaMemset(dx, 0, in_bytes), "cudaMemset");
  auto session = engine.create_session();
  const std::vector<lowp::TensorBinding> inputs = {
      {engine.inputs()[0].name, lowp::Tensor::view(in_type, in_dims, dx), lowp::MemoryKind::kCuda}};
  const std::vector<lowp::TensorBinding> outputs = {{engine.outputs()[0].name,
                                                     lowp::Tensor::view(out_type, out[0], dy),
                                                     lowp::MemoryKind::kCuda}};
  for (int i = 0; i < 10; ++i) session->run(inputs, outputs);  // eager, capture, replays
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    session->run(inputs, outputs);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  cudaFree(dx);
  cudaFree(dy);
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: cuda_bench MODEL.onnx fp32|tf32|fp16|int8 [runs1] [B] [runs_big] "
                 "[calib_cache]\n");
    return 2;
  }
  const std::string model = argv[1];
  const std::string precision = argv[2];
  const int runs1 = argc > 3 ? std::stoi(argv[3]) : 1000;
  const int64_t big = argc > 4 ? std::stoll(argv[4]) : 256;
  const int runs_big = argc > 5 ? std::stoi(argv[5]) : 50;
  try {
    lowp::CompileOptions options;
    options.device = lowp::Device::kCuda;
    options.precision = lowp::parse_precision(precision == "tf32" ? "fp32" : precision);
    options.allow_tf32 = precision == "tf32";
    options.tune_batch_sizes = {big};  // tactics for both measured batch sizes chosen at compile
    if (options.precision == lowp::Precision::kInt8) {
      if (argc > 6) options.calibration.cache_path = argv[6];
      options.calibration.source = std::make_shared<RandomCalibration>(lowp::Dims{8, 3, 224, 224});
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto engine = lowp::Engine::compile_onnx(model, options);
    const double compile_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Timing one = time_runs(*engine, 1, runs1);
    const Timing many = time_runs(*engine, big, runs_big);
    std::printf(
        "{\"precision\": \"%s\", \"compile_s\": %.2f, \"batch1_median_ms\": %.4f, "
        "\"batch1_p99_ms\": %.4f, \"batch1_runs\": %d, \"big_batch\": %lld, "
        "\"big_batch_median_ms\": %.3f, \"big_batch_images_per_s\": %.1f}\n",
        precision.c_str(), compile_s, one.median_ms, one.p99_ms, runs1, static_cast<long long>(big),
        many.median_ms, 1000.0 * big / many.median_ms);
  } catch (const lowp::Error& e) {
    std::fprintf(stderr, "cuda_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
