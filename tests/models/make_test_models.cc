// Writes the models the tests and benchmarks build for themselves into a folder:
//   make_test_models DIR  ->  DIR/resnet18_imagenet_arch.onnx and DIR/resnet18_imagenet_input4.npy
// (the four inputs tests/data's ONNX Runtime reference logits were computed on).
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/models/resnet18_imagenet.h"
#include "tools/io/npy.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_test_models DIR\n");
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    const std::string model = (dir / "resnet18_imagenet_arch.onnx").string();
    std::ofstream out(model, std::ios::binary);
    if (!lowp::testing::resnet18_imagenet_model().SerializeToOstream(&out) || !out.flush()) {
      std::fprintf(stderr, "make_test_models: cannot write %s\n", model.c_str());
      return 1;
    }
    lowp::io::write_npy((dir / "resnet18_imagenet_input4.npy").string(),
                        lowp::testing::resnet18_imagenet_input(4));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_test_models: %s\n", e.what());
    return 1;
  }
  return 0;
}
