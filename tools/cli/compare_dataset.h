// Labelled inputs for `lowp compare`: one image, a folder of images whose file names carry the
// label ("07_sneaker.png", "n01558993_robin.JPEG"), or Fashion-MNIST idx files.
#pragma once

#include <string>
#include <vector>

#include "lowp/tensor.h"
#include "tools/io/image_preprocess.h"

namespace lowp::cli {

struct LabelledSet {
  std::vector<Tensor> images;        // each 1 x C x H x W, preprocessed, f32
  std::vector<int64_t> labels;       // class index, -1 when unknown
  std::vector<std::string> names;    // where each image came from
  std::vector<std::string> classes;  // class names ("" entries when unknown)
};

// classes: names to match file-name labels against (may be empty: labels unknown).
LabelledSet load_one_image(const std::string& path, io::Preprocess preprocess,
                           const std::vector<std::string>& classes);
LabelledSet load_image_folder(const std::string& dir, io::Preprocess preprocess,
                              const std::vector<std::string>& classes, int64_t limit);
// `path`: the images .gz file or a folder holding t10k-images-idx3-ubyte.gz; labels come from the
// matching labels file.
LabelledSet load_idx(const std::string& path, int64_t limit);

}  // namespace lowp::cli
