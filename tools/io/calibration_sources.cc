#include "tools/io/calibration_sources.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <numbers>
#include <vector>

#include "lowp/error.h"
#include "passes/calibration.h"
#include "tools/io/file_lists.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"
#include "tools/io/npy.h"
#include "tools/io/tensor_batch.h"

namespace lowp::io {
namespace {

namespace fs = std::filesystem;

constexpr int kDefaultRandomCount = 64;

bool is_idx_images_file(const fs::path& p) {
  return p.filename().string().find("idx3-ubyte") != std::string::npos;
}

// Checks one sample [1, ...] against the model input dims (-1 matches anything).
void check_sample(const Tensor& t, const Dims& input_dims, const std::string& origin) {
  bool ok = t.dtype() == DataType::kF32 && t.rank() == static_cast<int64_t>(input_dims.size());
  for (size_t i = 1; ok && i < input_dims.size(); ++i) {
    ok = input_dims[i] < 0 || input_dims[i] == t.dims()[i];
  }
  if (!ok) {
    throw_error(ErrorCode::kInvalidArgument,
                origin + ": calibration sample has dims " + dims_to_string(t.dims()) +
                    ", the model input expects " + dims_to_string(input_dims));
  }
}

// Sources whose images are addressed by index: each next() stacks `batch` of them.
class IndexedSource : public SizedCalibrationSource {
 public:
  IndexedSource(int64_t total, int batch, Dims input_dims)
      : total_(total), batch_(batch), input_dims_(std::move(input_dims)) {}

  bool next(std::vector<Tensor>& inputs) override {
    if (done_ >= total_) return false;
    const int64_t n = std::min<int64_t>(batch_, total_ - done_);
    std::vector<Tensor> parts;
    for (int64_t i = done_; i < done_ + n; ++i) {
      parts.push_back(sample(i));
      check_sample(parts.back(), input_dims_, origin(i));
    }
    inputs.clear();
    inputs.push_back(stack_batch(parts));
    done_ += n;
    return true;
  }
  int64_t total_images() const override { return total_; }

 protected:
  virtual Tensor sample(int64_t index) = 0;  // [1, ...] f32
  virtual std::string origin(int64_t index) const = 0;
  const Dims& input_dims() const { return input_dims_; }

 private:
  int64_t total_;
  int batch_;
  Dims input_dims_;
  int64_t done_ = 0;
};

class ImageFolderSource : public IndexedSource {
 public:
  ImageFolderSource(std::string path, std::vector<fs::path> files, Preprocessing preprocessing,
                    int batch, Dims input_dims)
      : IndexedSource(static_cast<int64_t>(files.size()), batch, std::move(input_dims)),
        path_(std::move(path)),
        files_(std::move(files)),
        preprocessing_(std::move(preprocessing)) {}
  std::string describe() const override {
    return std::to_string(files_.size()) + " images from " + path_ + " (" + preprocessing_.preset +
           ")";
  }

 protected:
  Tensor sample(int64_t i) override {
    return load_image_preprocessed(files_[static_cast<size_t>(i)].string(), preprocessing_,
                                   input_dims());
  }
  std::string origin(int64_t i) const override { return files_[static_cast<size_t>(i)].string(); }

 private:
  std::string path_;
  std::vector<fs::path> files_;
  Preprocessing preprocessing_;
};

class IdxSource : public IndexedSource {
 public:
  IdxSource(std::string path, IdxImages images, Preprocessing preprocessing, int batch,
            Dims input_dims)
      : IndexedSource(images.count, batch, std::move(input_dims)),
        path_(std::move(path)),
        images_(std::move(images)),
        preprocessing_(std::move(preprocessing)) {}
  std::string describe() const override {
    return std::to_string(images_.count) + " images from " + path_ + " (" + preprocessing_.preset +
           ")";
  }

 protected:
  Tensor sample(int64_t i) override {
    return preprocess_idx_image(images_, i, preprocessing_, input_dims());
  }
  std::string origin(int64_t i) const override { return path_ + " image " + std::to_string(i); }

 private:
  std::string path_;
  IdxImages images_;
  Preprocessing preprocessing_;
};

// Standard-normal noise; sample i depends only on (seed, i), never on the batch size.
class RandomSource : public IndexedSource {
 public:
  RandomSource(int64_t count, int batch, Dims input_dims)
      : IndexedSource(count, batch, std::move(input_dims)) {}
  std::string describe() const override {
    return std::to_string(total_images()) + " random-noise images (seed " + std::to_string(kSeed) +
           ")";
  }
  bool next(std::vector<Tensor>& inputs) override {
    if (!warned_) {
      std::cerr << "warning: calibrating int8 on random noise; the scales will be poor, use real "
                   "images\n";
      warned_ = true;
    }
    return IndexedSource::next(inputs);
  }

 protected:
  Tensor sample(int64_t i) override {
    Dims dims = input_dims();
    dims[0] = 1;
    Tensor t(DataType::kF32, dims);
    uint64_t state = kSeed ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1));
    float* p = t.data<float>();
    for (int64_t k = 0; k < t.numel(); k += 2) {
      // Box-Muller on two uniforms in (0, 1].
      const double u1 = (static_cast<double>(splitmix(state) >> 11) + 1.0) * 0x1.0p-53;
      const double u2 = static_cast<double>(splitmix(state) >> 11) * 0x1.0p-53;
      const double r = std::sqrt(-2.0 * std::log(u1));
      p[k] = static_cast<float>(r * std::cos(2.0 * std::numbers::pi * u2));
      if (k + 1 < t.numel())
        p[k + 1] = static_cast<float>(r * std::sin(2.0 * std::numbers::pi * u2));
    }
    return t;
  }
  std::string origin(int64_t i) const override { return "random image " + std::to_string(i); }

 private:
  static constexpr uint64_t kSeed = 20240607;
  static uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  bool warned_ = false;
};

// .npy files read one at a time; their rows regrouped into batches.
class NpySource : public SizedCalibrationSource {
 public:
  NpySource(std::string path, std::vector<fs::path> files, int64_t count, int batch,
            Dims input_dims)
      : path_(std::move(path)),
        files_(std::move(files)),
        count_(count),
        batch_(batch),
        input_dims_(std::move(input_dims)) {}

  bool next(std::vector<Tensor>& inputs) override {
    std::vector<Tensor> parts;
    int64_t have = 0;
    while (have < batch_ && (count_ == 0 || done_ + have < count_)) {
      if (!load_rows()) break;
      int64_t want = batch_ - have;
      if (count_ > 0) want = std::min(want, count_ - done_ - have);
      const int64_t rows = current_.dims()[0];
      const int64_t n = std::min(want, rows - row_);
      Dims dims = current_.dims();
      dims[0] = n;
      const size_t row_bytes = current_.bytes() / static_cast<size_t>(rows);
      Tensor part(DataType::kF32, dims);
      std::memcpy(part.raw(), static_cast<const char*>(current_.raw()) + row_ * row_bytes,
                  static_cast<size_t>(n) * row_bytes);
      parts.push_back(std::move(part));
      row_ += n;
      have += n;
    }
    if (parts.empty()) return false;
    inputs.clear();
    inputs.push_back(stack_batch(parts));
    done_ += have;
    return true;
  }
  int64_t total_images() const override { return count_ > 0 ? count_ : -1; }
  std::string describe() const override {
    return (count_ > 0 ? "up to " + std::to_string(count_) + " images" : std::string("images")) +
           " from " + std::to_string(files_.size()) + " .npy file(s) in " + path_;
  }

 private:
  // Makes sure current_ has a row left; false at the end of the files.
  bool load_rows() {
    while (current_.dims().empty() || row_ >= current_.dims()[0]) {
      if (next_file_ >= files_.size()) return false;
      const std::string file = files_[next_file_++].string();
      Tensor t = read_npy(file);
      if (t.dtype() != DataType::kF32) t = t.cast(DataType::kF32);
      if (t.rank() + 1 == static_cast<int64_t>(input_dims_.size())) {
        Dims d = t.dims();
        d.insert(d.begin(), 1);
        t = t.reshaped(d);
      }
      Dims one = t.dims();
      if (!one.empty()) one[0] = 1;
      check_sample(Tensor::view(DataType::kF32, one, t.raw()), input_dims_, file);
      current_ = std::move(t);
      row_ = 0;
    }
    return true;
  }

  std::string path_;
  std::vector<fs::path> files_;
  int64_t count_;
  int batch_;
  Dims input_dims_;
  size_t next_file_ = 0;
  Tensor current_;
  int64_t row_ = 0;
  int64_t done_ = 0;
};

std::string guess_format(const fs::path& p) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "train-images-idx3-ubyte.gz", ec) ||
        fs::exists(p / "train-images-idx3-ubyte", ec))
      return "idx";
    if (!list_files(p, is_npy_file).empty()) return "npy";
    if (!list_files(p, is_image_file).empty()) return "images";
    throw_error(
        ErrorCode::kInvalidArgument,
        p.string() + ": no .jpg/.png images, .npy files or Fashion-MNIST idx files in folder");
  }
  if (is_npy_file(p)) return "npy";
  if (is_idx_images_file(p)) return "idx";
  if (is_image_file(p)) return "images";
  throw_error(ErrorCode::kInvalidArgument,
              p.string() +
                  ": cannot tell the calibration data format; name the format "
                  "images|npy|idx");
}

// The files of `p` (a folder, or the one file) accepted by `keep`; errors when there are none.
std::vector<fs::path> files_of(const fs::path& p, bool (*keep)(const fs::path&), const char* what) {
  std::error_code ec;
  std::vector<fs::path> files = fs::is_directory(p, ec) ? list_files(p, keep) : std::vector{p};
  if (files.empty()) {
    throw_error(ErrorCode::kInvalidArgument, p.string() + ": no " + what + " in folder");
  }
  return files;
}

IdxImages first_idx_images(const fs::path& p, int count) {
  std::error_code ec;
  fs::path file = p;
  if (fs::is_directory(p, ec)) {
    file = p / "train-images-idx3-ubyte.gz";
    if (!fs::exists(file, ec)) file = p / "train-images-idx3-ubyte";
  }
  IdxImages images = read_idx_images(file.string());
  if (count > 0 && count < images.count) {
    images.count = count;
    images.pixels.resize(static_cast<size_t>(count) * images.rows * images.cols);
    images.pixels.shrink_to_fit();
  }
  return images;
}

}  // namespace

std::shared_ptr<CalibrationSource> make_calibration_source(
    const std::string& path_or_random, const std::string& format, int count, int batch,
    const std::optional<Preprocessing>& preprocessing, const Dims& input_dims) {
  if (batch < 1) {
    throw_error(ErrorCode::kInvalidArgument,
                "calibration batch size must be at least 1 (got " + std::to_string(batch) + ")");
  }
  if (count < 0) {
    throw_error(ErrorCode::kInvalidArgument,
                "calibration image count must not be negative (got " + std::to_string(count) + ")");
  }
  if (input_dims.empty()) {
    throw_error(ErrorCode::kInvalidArgument, "calibration needs the model input's dims");
  }
  std::string fmt = format;
  if (fmt != "" && fmt != "images" && fmt != "npy" && fmt != "idx" && fmt != "random") {
    throw_error(ErrorCode::kInvalidArgument,
                "unknown calibration data format '" + format + "' (images, npy, idx, random)");
  }
  if (fmt == "random" || (fmt.empty() && path_or_random == "random")) {
    for (size_t i = 1; i < input_dims.size(); ++i) {
      if (input_dims[i] < 0) {
        throw_error(ErrorCode::kInvalidArgument,
                    "random calibration data needs fixed input dims, "
                    "the model input is " +
                        dims_to_string(input_dims));
      }
    }
    return std::make_shared<RandomSource>(count > 0 ? count : kDefaultRandomCount, batch,
                                          input_dims);
  }

  const fs::path p(path_or_random);
  std::error_code ec;
  if (path_or_random.empty() || !fs::exists(p, ec)) {
    throw_error(ErrorCode::kIo, "calibration data '" + path_or_random + "' does not exist");
  }
  if (fmt.empty()) fmt = guess_format(p);

  if (fmt == "idx") {
    return std::make_shared<IdxSource>(p.string(), first_idx_images(p, count),
                                       preprocessing.value_or(preprocessing_preset("fashion")),
                                       batch, input_dims);
  }
  if (fmt == "npy") {
    return std::make_shared<NpySource>(p.string(), files_of(p, is_npy_file, ".npy files"), count,
                                       batch, input_dims);
  }
  std::vector<fs::path> files = files_of(p, is_image_file, ".jpg/.png images");
  if (count > 0 && static_cast<size_t>(count) < files.size())
    files.resize(static_cast<size_t>(count));
  if (!preprocessing) {
    throw_error(ErrorCode::kInvalidArgument,
                p.string() + ": cannot guess the preprocessing for model input " +
                    dims_to_string(input_dims) + "; give --preprocess PRESET");
  }
  return std::make_shared<ImageFolderSource>(p.string(), std::move(files), *preprocessing, batch,
                                             input_dims);
}

}  // namespace lowp::io
