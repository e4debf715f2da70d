// Class-name lists: label files (one name per line) and the built-in Fashion-MNIST names.
#pragma once

#include <string>
#include <vector>

namespace lowp::io {

// One class name per line (line i names class i); '\r' line ends are accepted and a final empty
// line is ignored. Throws lowp::Error naming `path` when it is missing or empty.
std::vector<std::string> read_labels(const std::string& path);

// "T-shirt/top", "Trouser", ..., "Ankle boot" (classes 0-9).
std::vector<std::string> fashion_mnist_classes();

}  // namespace lowp::io
