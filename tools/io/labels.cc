#include "tools/io/labels.h"

#include <fstream>

#include "lowp/error.h"

namespace lowp::io {

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw_error(ErrorCode::kIo, path + ": cannot open label file");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  if (in.bad()) throw_error(ErrorCode::kIo, path + ": error reading label file");
  if (labels.empty()) throw_error(ErrorCode::kInvalidArgument, path + ": label file is empty");
  return labels;
}

std::vector<std::string> fashion_mnist_classes() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

}  // namespace lowp::io
