#include "tools/cli/compare_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "lowp/error.h"
#include "tools/io/file_lists.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"
#include "tools/io/labels.h"
#include "tools/io/npy.h"

namespace lowp::cli {
namespace fs = std::filesystem;

namespace {

std::string normalise(std::string s) {
  for (char& c : s) c = c == '_' || c == '-' ? ' ' : static_cast<char>(std::tolower(c));
  return s;
}

// A WordNet id ("n01440764") at the start of a label line, or "".
std::string wnid_of(const std::string& line) {
  const bool id = line.size() >= 9 && line[0] == 'n' &&
                  std::all_of(line.begin() + 1, line.begin() + 9, ::isdigit) &&
                  (line.size() == 9 || !std::isalnum(static_cast<unsigned char>(line[9])));
  return id ? line.substr(0, 9) : "";
}

// A class line's name: "n01440764 tench, Tinca tinca" -> "tench, tinca tinca", normalised.
std::string name_of_class(const std::string& line) {
  std::string name = wnid_of(line).empty() ? line : line.substr(std::min<size_t>(10, line.size()));
  return normalise(name);
}

// The class a name denotes ("n01558993" by WNID, "sneaker" or "ankle_boot" by name, a prefix of
// a name last), or -1.
int64_t class_by_name(const std::string& name, const std::vector<std::string>& classes) {
  const std::string n = normalise(name);
  if (n.empty()) return -1;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (wnid_of(classes[i]) == name || name_of_class(classes[i]) == n)
      return static_cast<int64_t>(i);
  }
  // "Ankle boot" vs "ankle", "T-shirt/top" vs "t_shirt".
  for (size_t i = 0; i < classes.size(); ++i) {
    const std::string c = name_of_class(classes[i]);
    if (!c.empty() && (c.rfind(n, 0) == 0 || n.rfind(c, 0) == 0)) return static_cast<int64_t>(i);
  }
  return -1;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), ::isdigit);
}

// A class folder's index: by WNID or name, else its number.
int64_t class_of_folder(const std::string& name, const std::vector<std::string>& classes) {
  const int64_t c = class_by_name(name, classes);
  if (c >= 0 || !all_digits(name)) return c;
  const int64_t i = std::stoll(name);
  return classes.empty() || i < static_cast<int64_t>(classes.size()) ? i : -1;
}

// The label a file name carries: "07_sneaker.png" -> sneaker (or 7 when there are no class
// names), "n01558993_robin.JPEG" -> robin, by name or WNID; -1 when nothing matches.
int64_t label_from_file_name(const fs::path& file, const std::vector<std::string>& classes) {
  const std::string stem = file.stem().string();
  const size_t underscore = stem.find('_');
  const std::string prefix = stem.substr(0, underscore);
  // A WNID first: ImageNet's names repeat ("crane" the bird and the machine).
  const int64_t by_id = wnid_of(prefix).empty() ? -1 : class_by_name(prefix, classes);
  if (by_id >= 0) return by_id;
  if (underscore != std::string::npos) {
    const int64_t c = class_by_name(stem.substr(underscore + 1), classes);
    if (c >= 0) return c;
  }
  return all_digits(prefix) && classes.empty() ? std::stoll(prefix) : -1;
}

std::vector<fs::path> class_folders(const fs::path& dir) {
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) folders.push_back(e.path());
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

std::string guess_format(const CompareInputs& in) {
  const fs::path p(in.dataset);
  std::error_code ec;
  if (in.dataset.ends_with(".npy")) return "npy";
  if (in.dataset.ends_with(".gz") || fs::exists(p / "t10k-images-idx3-ubyte.gz", ec)) return "idx";
  if (fs::is_directory(p, ec) && io::list_files(p, io::is_image_file).empty() &&
      !class_folders(p).empty()) {
    return "folders";
  }
  return "images";
}

void add_image(LabelledSet& set, const fs::path& file, int64_t label, const Preprocessing& pre,
               const Dims& dims) {
  set.images.push_back(io::load_image_preprocessed(file.string(), pre, dims));
  set.labels.push_back(label);
  set.names.push_back(file.string());
}

const Preprocessing& need(const std::optional<Preprocessing>& pre, const std::string& what) {
  if (!pre) {
    throw_error(ErrorCode::kInvalidArgument,
                what + ": cannot tell how to preprocess images for this model; give --preprocess");
  }
  return *pre;
}

void load_images(LabelledSet& set, const CompareInputs& in, const Preprocessing& pre,
                 const Dims& dims) {
  std::error_code ec;
  if (!fs::is_directory(in.dataset, ec)) throw_error(ErrorCode::kIo, in.dataset + ": not a folder");
  std::vector<fs::path> files = io::list_files(in.dataset, io::is_image_file);
  if (files.empty())
    throw_error(ErrorCode::kInvalidArgument, in.dataset + ": no PNG or JPEG images");
  if (in.limit > 0 && static_cast<int64_t>(files.size()) > in.limit) files.resize(in.limit);
  for (const auto& f : files) add_image(set, f, label_from_file_name(f, set.classes), pre, dims);
}

// One subfolder per class: named by WNID, class name or index (through --labels), else the sorted
// folder order is the class index (torchvision's ImageFolder).
void load_folders(LabelledSet& set, const CompareInputs& in, const Preprocessing& pre,
                  const Dims& dims) {
  const std::vector<fs::path> folders = class_folders(in.dataset);
  std::vector<int64_t> labels;
  bool any = false;
  for (const auto& f : folders) {
    labels.push_back(class_of_folder(f.filename().string(), set.classes));
    any = any || labels.back() >= 0;
  }
  if (!any) {
    for (size_t i = 0; i < folders.size(); ++i) labels[i] = static_cast<int64_t>(i);
    set.notes.push_back(
        "class folders named by no class of --labels: the sorted folder order is "
        "the class index (as torchvision's ImageFolder)");
  }
  for (size_t i = 0; i < folders.size(); ++i) {
    for (const auto& f : io::list_files(folders[i], io::is_image_file)) {
      if (in.limit > 0 && static_cast<int64_t>(set.images.size()) >= in.limit) return;
      add_image(set, f, labels[i], pre, dims);
    }
  }
  if (set.images.empty()) {
    throw_error(ErrorCode::kInvalidArgument, in.dataset + ": no PNG or JPEG images in its folders");
  }
}

void load_idx(LabelledSet& set, const CompareInputs& in, const Preprocessing& pre,
              const Dims& dims) {
  std::string images = in.dataset;
  std::error_code ec;
  if (fs::is_directory(images, ec))
    images = (fs::path(images) / "t10k-images-idx3-ubyte.gz").string();
  std::string labels = images;
  const auto pos = labels.find("images-idx3");
  if (pos == std::string::npos) {
    throw_error(ErrorCode::kInvalidArgument,
                images + ": expected an idx image file named *images-idx3-ubyte[.gz]");
  }
  labels.replace(pos, 11, "labels-idx1");
  const io::IdxImages data = io::read_idx_images(images);
  const std::vector<uint8_t> truth = io::read_idx_labels(labels);
  if (static_cast<int64_t>(truth.size()) != data.count) {
    throw_error(ErrorCode::kInvalidModel, labels + ": " + std::to_string(truth.size()) +
                                              " labels for " + std::to_string(data.count) +
                                              " images");
  }
  const int64_t n = in.limit > 0 ? std::min(in.limit, data.count) : data.count;
  for (int64_t i = 0; i < n; ++i) {
    set.images.push_back(io::preprocess_idx_image(data, i, pre, dims));
    set.labels.push_back(truth[static_cast<size_t>(i)]);
    set.names.push_back(images + "[" + std::to_string(i) + "]");
  }
}

// An .npy of inputs: [N, ...input dims] (or one input without the batch axis).
void load_npy(LabelledSet& set, const std::string& path, const TensorDesc& input, int64_t limit) {
  Tensor t = io::read_npy(path);
  if (traits(t.dtype()).is_float && t.dtype() != DataType::kF32) t = t.cast(DataType::kF32);
  if (t.dtype() != DataType::kF32) {
    throw_error(ErrorCode::kInvalidArgument,
                path + ": " + name_of(t.dtype()) + " values; compare takes float inputs");
  }
  const auto rank = static_cast<int64_t>(input.dims.size());
  if (t.rank() + 1 == rank) {
    Dims one = t.dims();
    one.insert(one.begin(), 1);
    t = t.reshaped(one);
  }
  bool fits = t.rank() == rank;
  for (int64_t i = 1; fits && i < rank; ++i)
    fits = input.dims[i] < 0 || input.dims[i] == t.dims()[i];
  if (!fits || t.dims()[0] < 1) {
    throw_error(ErrorCode::kInvalidArgument, path + ": dims " + dims_to_string(t.dims()) +
                                                 " do not fit model input '" + input.name + "' " +
                                                 dims_to_string(input.dims));
  }
  const int64_t n = limit > 0 ? std::min(limit, t.dims()[0]) : t.dims()[0];
  const int64_t per = t.numel() / t.dims()[0];
  Dims one = t.dims();
  one[0] = 1;
  for (int64_t i = 0; i < n; ++i) {
    Tensor item(DataType::kF32, one);
    std::copy_n(t.data<float>() + i * per, per, item.data<float>());
    set.images.push_back(std::move(item));
    set.labels.push_back(-1);
    set.names.push_back(path + "[" + std::to_string(i) + "]");
  }
}

void read_npy_labels(LabelledSet& set, const std::string& path) {
  const Tensor t = io::read_npy(path);
  if (traits(t.dtype()).is_float || t.dtype() == DataType::kBool) {
    throw_error(ErrorCode::kInvalidArgument,
                path + ": labels must be integers, not " + std::string(name_of(t.dtype())));
  }
  const std::vector<int64_t> labels = t.to_int64();
  if (labels.size() < set.images.size()) {
    throw_error(ErrorCode::kInvalidArgument, path + ": " + std::to_string(labels.size()) +
                                                 " labels for " +
                                                 std::to_string(set.images.size()) + " inputs");
  }
  for (size_t i = 0; i < set.images.size(); ++i) set.labels[i] = labels[i];
}

}  // namespace

LabelledSet load_compare_inputs(const CompareInputs& in, const TensorDesc& input,
                                const std::optional<Preprocessing>& pre,
                                const std::vector<std::string>& classes) {
  const int given = !in.image.empty() + !in.input.empty() + !in.dataset.empty();
  if (given != 1)
    throw_error(ErrorCode::kInvalidArgument, "give one of --image, --input or --dataset");
  if (!in.dataset_labels.empty() && in.input.empty() &&
      (in.dataset.empty() || (in.format.empty() ? guess_format(in) : in.format) != "npy")) {
    throw_error(ErrorCode::kInvalidArgument,
                "--dataset-labels goes with an .npy --dataset or --input");
  }
  LabelledSet set;
  set.classes = classes;
  if (!in.image.empty()) {
    add_image(set, in.image, label_from_file_name(in.image, classes), need(pre, in.image),
              input.dims);
  } else if (!in.input.empty()) {
    const size_t eq = in.input.find('=');
    const std::string name = eq == std::string::npos ? input.name : in.input.substr(0, eq);
    if (name != input.name) {
      throw_error(ErrorCode::kInvalidArgument,
                  "--input " + in.input + ": the model's input is '" + input.name + "'");
    }
    load_npy(set, eq == std::string::npos ? in.input : in.input.substr(eq + 1), input, in.limit);
  } else {
    const std::string format = in.format.empty() ? guess_format(in) : in.format;
    if (format == "npy") {
      load_npy(set, in.dataset, input, in.limit);
    } else if (format == "idx") {
      load_idx(set, in, need(pre, in.dataset), input.dims);
    } else if (format == "folders") {
      load_folders(set, in, need(pre, in.dataset), input.dims);
    } else {
      load_images(set, in, need(pre, in.dataset), input.dims);
    }
  }
  if (!in.dataset_labels.empty()) read_npy_labels(set, in.dataset_labels);
  return set;
}

}  // namespace lowp::cli
