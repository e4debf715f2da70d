#include "tools/cli/compare_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "lowp/error.h"
#include "tools/io/idx.h"
#include "tools/io/labels.h"

namespace lowp::cli {
namespace fs = std::filesystem;

namespace {

std::string normalise(std::string s) {
  for (char& c : s) c = c == '_' || c == '-' ? ' ' : static_cast<char>(std::tolower(c));
  return s;
}

// The label a file name carries: "07_sneaker.png" -> "sneaker" (or index 7 when it names no
// class), "n01558993_robin.JPEG" -> "robin"; -1 when nothing matches.
int64_t label_from_name(const std::string& file, const std::vector<std::string>& classes) {
  std::string stem = fs::path(file).stem().string();
  auto underscore = stem.find('_');
  std::string prefix = underscore == std::string::npos ? stem : stem.substr(0, underscore);
  std::string rest = underscore == std::string::npos ? "" : normalise(stem.substr(underscore + 1));
  for (size_t i = 0; i < classes.size(); ++i) {
    if (!rest.empty() && normalise(classes[i]) == rest) return static_cast<int64_t>(i);
  }
  for (size_t i = 0; i < classes.size(); ++i) {  // "Ankle boot" vs "ankle_boot", prefix match
    std::string c = normalise(classes[i]);
    if (!rest.empty() && (c.rfind(rest, 0) == 0 || rest.rfind(c, 0) == 0))
      return static_cast<int64_t>(i);
  }
  if (!prefix.empty() && std::all_of(prefix.begin(), prefix.end(), ::isdigit) && classes.empty()) {
    return std::stoll(prefix);
  }
  return -1;
}

}  // namespace

LabelledSet load_one_image(const std::string& path, io::Preprocess preprocess,
                           const std::vector<std::string>& classes) {
  LabelledSet set;
  set.classes = classes;
  set.images.push_back(io::load_image_preprocessed(path, preprocess));
  set.labels.push_back(label_from_name(path, classes));
  set.names.push_back(path);
  return set;
}

LabelledSet load_image_folder(const std::string& dir, io::Preprocess preprocess,
                              const std::vector<std::string>& classes, int64_t limit) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw_error(ErrorCode::kIo, dir + ": not a folder");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string ext = normalise(e.path().extension().string());
    if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw_error(ErrorCode::kInvalidArgument, dir + ": no PNG or JPEG images");
  if (limit > 0 && static_cast<int64_t>(files.size()) > limit)
    files.resize(static_cast<size_t>(limit));
  LabelledSet set;
  set.classes = classes;
  for (const auto& f : files) {
    set.images.push_back(io::load_image_preprocessed(f, preprocess));
    set.labels.push_back(label_from_name(f, classes));
    set.names.push_back(f);
  }
  return set;
}

LabelledSet load_idx(const std::string& path, int64_t limit) {
  std::string images = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) images = (fs::path(path) / "t10k-images-idx3-ubyte.gz").string();
  std::string labels = images;
  auto pos = labels.find("images-idx3");
  if (pos == std::string::npos) {
    throw_error(ErrorCode::kInvalidArgument,
                images + ": expected an idx image file named *images-idx3-ubyte[.gz]");
  }
  labels.replace(pos, 11, "labels-idx1");
  io::IdxImages data = io::read_idx_images(images);
  std::vector<uint8_t> truth = io::read_idx_labels(labels);
  if (static_cast<int64_t>(truth.size()) != data.count) {
    throw_error(ErrorCode::kInvalidModel, labels + ": " + std::to_string(truth.size()) +
                                              " labels for " + std::to_string(data.count) +
                                              " images");
  }
  int64_t n = limit > 0 ? std::min(limit, data.count) : data.count;
  LabelledSet set;
  set.classes = io::fashion_mnist_classes();
  for (int64_t i = 0; i < n; ++i) {
    set.images.push_back(io::preprocess_fashion_28x28(data.image(i)));
    set.labels.push_back(truth[static_cast<size_t>(i)]);
    set.names.push_back(images + "[" + std::to_string(i) + "]");
  }
  return set;
}

}  // namespace lowp::cli
