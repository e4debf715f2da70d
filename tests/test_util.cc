#include "tests/test_util.h"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "lowp/error.h"
#include "tools/io/image_preprocess.h"

namespace lowp::testing {

namespace {
std::string from_env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
}  // namespace

std::string source_dir() { return from_env("LOWP_SOURCE_DIR", LOWP_SOURCE_DIR); }
std::string fashion_dir() { return from_env("LOWP_FASHION_MNIST", LOWP_FASHION_MNIST); }
std::string onnx_node_tests_dir() { return from_env("LOWP_ONNX_NODE_TESTS", LOWP_ONNX_NODE_TESTS); }
std::string test_data(const std::string& relative) {
  return source_dir() + "/tests/data/" + relative;
}
std::string test_model(const std::string& name) {
  return from_env("LOWP_TEST_MODELS", LOWP_BINARY_DIR "/models") + "/" + name;
}

bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

double relative_l2(const Tensor& got, const Tensor& want) {
  const std::vector<float> g = got.to_float(), w = want.to_float();
  if (g.size() != w.size()) throw std::runtime_error("relative_l2: different element counts");
  double num = 0, den = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double d = double(g[i]) - w[i];
    num += d * d;
    den += double(w[i]) * w[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

CompileOptions options_for(Device device, Precision precision) {
  CompileOptions o;
  o.device = device;
  o.precision = precision;
  o.verify = true;  // tests check the graph after every pass
  return o;
}

std::shared_ptr<const Engine> reload_for(const Engine& engine, Device device,
                                         const std::string& plan_path) {
  engine.save_plan(plan_path);
  RuntimeOptions runtime;
  runtime.device = device;
  return Engine::load_plan(plan_path, runtime);
}

Tensor run_once(const Engine& engine, const Tensor& x) {
  return engine.create_session()->run({{engine.inputs()[0].name, x}}).at(0);
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.dims() != b.dims()) {
    throw Error(ErrorCode::kInvalidArgument,
                "dims differ: " + dims_to_string(a.dims()) + " vs " + dims_to_string(b.dims()));
  }
  auto x = a.to_float();
  auto y = b.to_float();
  float worst = 0.f;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

bool all_close(const Tensor& a, const Tensor& b, float rtol, float atol, std::string* report) {
  if (a.dims() != b.dims()) {
    if (report)
      *report = "dims differ: " + dims_to_string(a.dims()) + " vs " + dims_to_string(b.dims());
    return false;
  }
  auto x = a.to_float();
  auto y = b.to_float();
  for (size_t i = 0; i < x.size(); ++i) {
    bool both_nan = std::isnan(x[i]) && std::isnan(y[i]);
    bool same_inf = std::isinf(x[i]) && x[i] == y[i];
    if (both_nan || same_inf) continue;
    if (!(std::fabs(x[i] - y[i]) <= atol + rtol * std::fabs(y[i]))) {
      if (report) {
        std::ostringstream os;
        os << "element " << i << ": got " << x[i] << ", expected " << y[i];
        *report = os.str();
      }
      return false;
    }
  }
  return true;
}

Tensor random_tensor(const Dims& dims, uint32_t seed, float lo, float hi) {
  Tensor t(DataType::kF32, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Tensor fashion_batch(const io::IdxImages& images, int64_t start, int64_t count) {
  constexpr int64_t kPerImage = 3 * 64 * 64;
  Tensor x(DataType::kF32, {count, 3, 64, 64});
  for (int64_t i = 0; i < count; ++i) {
    Tensor one = io::preprocess_fashion_28x28(images.image(start + i));
    std::copy_n(one.data<float>(), kPerImage, x.data<float>() + i * kPerImage);
  }
  return x;
}

std::vector<int64_t> top1(const Tensor& logits) {
  std::vector<int64_t> out;
  const int64_t classes = logits.dims()[1];
  for (int64_t i = 0; i < logits.dims()[0]; ++i) {
    const float* row = logits.data<float>() + i * classes;
    out.push_back(std::max_element(row, row + classes) - row);
  }
  return out;
}

TestSetTop1 fashion_test_set_top1(const Engine& model, const Engine& reference, int64_t batch) {
  const std::string dir = fashion_dir();
  const io::IdxImages test = io::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz");
  const std::vector<uint8_t> labels = io::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz");
  auto model_session = model.create_session();
  auto reference_session = reference.create_session();
  const std::string in = model.inputs().at(0).name;
  TestSetTop1 r;
  for (int64_t b = 0; b < test.count; b += batch) {
    const int64_t count = std::min<int64_t>(batch, test.count - b);
    const Tensor x = fashion_batch(test, b, count);
    const std::vector<int64_t> want = top1(reference_session->run({{in, x}}).at(0));
    const std::vector<int64_t> got = top1(model_session->run({{in, x}}).at(0));
    for (int64_t i = 0; i < count; ++i) {
      r.correct += got[i] == labels[b + i];
      r.agree += got[i] == want[i];
    }
    r.images += count;
  }
  return r;
}

CommandResult lowp_command(const std::string& arguments) {
  const std::string lowp = std::string(LOWP_BINARY_DIR) + "/tools/lowp";
  CommandResult r;
  FILE* pipe = popen((lowp + " " + arguments + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  for (size_t got; (got = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.output.append(buf, got);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace lowp::testing
