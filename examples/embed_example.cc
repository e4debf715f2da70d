// Embedding lowp in a C++ service: compile (or load) once, then one Session per thread, running on
// caller-owned buffers.
//
//   embed_example MODEL.onnx|MODEL.plan [threads]
#include <lowp/lowp.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx|MODEL.plan [threads]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;
  try {
    bool is_plan = path.size() > 5 && path.substr(path.size() - 5) == ".plan";
    std::shared_ptr<const lowp::Engine> engine =
        is_plan ? lowp::Engine::load_plan(path) : lowp::Engine::compile_onnx(path);

    const lowp::TensorDesc& in = engine->inputs().at(0);
    lowp::Dims in_dims = in.dims;
    for (auto& d : in_dims) d = d < 0 ? 1 : d;  // batch 1
    const lowp::Dims out_dims = engine->output_dims({in_dims}).at(0);

    std::vector<std::vector<float>> results(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto session = engine->create_session();  // one per thread
        std::vector<float> input(lowp::element_count(in_dims), 0.5f);
        results[t].resize(lowp::element_count(out_dims));
        session->run({{in.name, lowp::Tensor::view(lowp::DataType::kF32, in_dims, input.data())}},
                     {{engine->outputs()[0].name,
                       lowp::Tensor::view(lowp::DataType::kF32, out_dims, results[t].data())}});
      });
    }
    for (auto& w : workers) w.join();
    for (int t = 1; t < threads; ++t) {
      if (results[t] != results[0]) {
        std::fprintf(stderr, "sessions disagree\n");
        return 1;
      }
    }
    std::printf("%s: %d sessions agree; output %s, first value %.6f\n", path.c_str(), threads,
                lowp::dims_to_string(out_dims).c_str(), results[0].at(0));
  } catch (const lowp::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
