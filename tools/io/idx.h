// The idx format of (Fashion-)MNIST, plain or gzip-compressed: images (magic 0x803, u8 N x R x C)
// and labels (magic 0x801, u8 N).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowp::io {

struct IdxImages {
  int64_t count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> pixels;  // count x rows x cols, row-major

  const uint8_t* image(int64_t i) const {
    return pixels.data() + static_cast<size_t>(i) * rows * cols;
  }
};

// Reads an idx3 image file; validates the magic number, sizes and length. Errors name `path`.
IdxImages read_idx_images(const std::string& path);
// Reads an idx1 label file.
std::vector<uint8_t> read_idx_labels(const std::string& path);

}  // namespace lowp::io
