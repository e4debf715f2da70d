// Labelled inputs for `lowp compare`: one image, a tensor file, or a dataset: a folder of images
// whose file names carry the label ("07_sneaker.png", "n01558993_robin.JPEG"), a folder of one
// subfolder per class (ImageNet's train / val layout), an .npy of inputs with an .npy of labels, or
// Fashion-MNIST idx files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "lowp/preprocessing.h"

namespace lowp::cli {

struct LabelledSet {
  std::vector<Tensor> images;        // each 1 x ..., the model input's dtype-independent f32
  std::vector<int64_t> labels;       // class index, -1 when unknown
  std::vector<std::string> names;    // where each image came from
  std::vector<std::string> classes;  // class names (may be empty)
  std::vector<std::string> notes;    // how labels were read, when that was a guess
};

struct CompareInputs {
  std::string image;           // --image
  std::string input;           // --input NAME=X.npy: one tensor, or a batch of them
  std::string dataset;         // --dataset
  std::string format;          // images | folders | idx | npy; empty: guessed
  std::string dataset_labels;  // --dataset-labels Y.npy for an .npy dataset
  int64_t limit = 0;           // at most this many (0: all)
};

// Reads what `in` names for the engine's single input. Images go through `pre` (required for
// images); `classes` (from --labels, "WNID name" lines allowed) names the classes and maps file and
// folder names to indices. Throws lowp::Error naming the file for what cannot be read or does not
// fit the input, and kInvalidArgument for a wrong combination.
LabelledSet load_compare_inputs(const CompareInputs& in, const TensorDesc& input,
                                const std::optional<Preprocessing>& pre,
                                const std::vector<std::string>& classes);

}  // namespace lowp::cli
