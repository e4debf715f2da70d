// Times Engine::compile_onnx (import + passes + backend compile) against Engine::load_plan of the
// same model, each including the first batch-1 run (primitive creation), median of N rounds.
//
//   plan_load_bench MODEL.onnx [rounds]   -> one JSON object on stdout
#include <lowp/lowp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void first_run(const lowp::Engine& engine) {
  lowp::Dims dims = engine.inputs().at(0).dims;
  for (auto& d : dims) d = d < 0 ? 1 : d;
  lowp::Tensor x(lowp::DataType::kF32, dims);
  engine.create_session()->run({{engine.inputs()[0].name, x}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [rounds]\n", argv[0]);
    return 2;
  }
  const std::string onnx = argv[1];
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 5;
  const std::string plan =
      (std::filesystem::temp_directory_path() / "plan_load_bench.plan").string();
  using clock = std::chrono::steady_clock;
  try {
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    std::vector<double> compile_ms, compile_run_ms, load_ms, load_run_ms;
    for (int r = 0; r < rounds; ++r) {
      auto t0 = clock::now();
      auto engine = lowp::Engine::compile_onnx(onnx);
      auto t1 = clock::now();
      first_run(*engine);
      auto t2 = clock::now();
      engine->save_plan(plan);
      auto t3 = clock::now();
      auto loaded = lowp::Engine::load_plan(plan);
      auto t4 = clock::now();
      first_run(*loaded);
      auto t5 = clock::now();
      compile_ms.push_back(ms(t0, t1));
      compile_run_ms.push_back(ms(t0, t2));
      load_ms.push_back(ms(t3, t4));
      load_run_ms.push_back(ms(t3, t5));
    }
    double c = median(compile_ms), cr = median(compile_run_ms);
    double l = median(load_ms), lr = median(load_run_ms);
    std::printf(
        "{\"model\": \"%s\", \"rounds\": %d, \"compile_onnx_ms\": %.2f, \"load_plan_ms\": %.2f, "
        "\"ratio\": %.3f, \"compile_onnx_and_first_run_ms\": %.2f, "
        "\"load_plan_and_first_run_ms\": %.2f, \"ratio_with_first_run\": %.3f, \"plan_bytes\": %ju}\n",
        onnx.c_str(), rounds, c, l, l / c, cr, lr, lr / cr,
        static_cast<uintmax_t>(std::filesystem::file_size(plan)));
    std::filesystem::remove(plan);
  } catch (const lowp::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
