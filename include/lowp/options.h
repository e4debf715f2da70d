// What a compile or a load is asked for: device, precision, calibration and the other options, and
// which CUDA devices this build can use. Part of the public API (lowp.h includes it); the layers
// below the engine (passes, backends) read these without knowing Engine or Session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lowp/preprocessing.h"
#include "lowp/tensor.h"

namespace lowp {

class Graph;

enum class Device { kCpu, kCuda };
enum class Precision { kFp32, kFp16, kBf16, kInt8 };
const char* device_name(Device device);
const char* precision_name(Precision precision);
Precision parse_precision(const std::string& name);  // throws on unknown
Device parse_device(const std::string& name);

// Where calibration batches come from: the library asks for batches until it returns false.
// The `lowp` command provides image folders, .npy files, Fashion-MNIST idx files and random noise.
class CalibrationSource {
 public:
  virtual ~CalibrationSource() = default;
  // Fills `inputs` (one tensor per model input, in Engine::inputs() order) with the next batch.
  virtual bool next(std::vector<Tensor>& inputs) = 0;
  virtual std::string describe() const = 0;  // "512 images from data/calib (fashion)"
};

// kAuto: per tensor, the range of the four whose quantization disturbs the layers reading the
// tensor least, measured on the calibration images (passes/range_selection.h; mse where nothing
// is measured, e.g. a graph output).
enum class Calibrator { kMinMax, kPercentile, kEntropy, kMse, kAuto };
const char* calibrator_name(Calibrator calibrator);
Calibrator parse_calibrator(const std::string& name);

struct CalibrationOptions {
  std::shared_ptr<CalibrationSource> source;  // required for int8 unless cache_path exists
  // mse by default (as PyTorch's histogram observer): on the Fashion ResNet-18 it gave the best
  // accuracy and the smallest probability changes of the four (BENCHMARKS.md).
  Calibrator calibrator = Calibrator::kMse;
  double percentile = 99.99;
  std::string cache_path;              // read if it exists, else written after calibrating
  bool symmetric_activations = false;  // s8 symmetric instead of u8 with a zero point
  // Calibration measures every activation of a batch at once; a batch whose activations take more
  // runs a slice of its images at a time (the statistics are the same).
  size_t max_observed_bytes = size_t{1} << 30;
  // The int8 refinements after the ranges (bias correction) run the calibration images again: up
  // to this many bytes of input batches are kept in memory for them (beyond, the first part).
  size_t max_recorded_bytes = size_t{1} << 30;
};

// What compiling may compute on constants (constant folding runs the reference kernels on
// whatever a file asks, at compile time). A node over a limit is refused with a lowp::Error naming
// it and the limit; raise these for models with large constant subgraphs.
struct FoldingLimits {
  size_t max_node_bytes = size_t{1} << 30;   // outputs of one folded node
  size_t max_total_bytes = size_t{4} << 30;  // everything folding makes
  double max_node_work = 2e10;               // operations (multiply-adds) for one node
  double max_total_work = 1e11;
};

struct CompileOptions {
  Device device = Device::kCpu;
  Precision precision = Precision::kFp32;
  int threads = 0;       // 0: all cores
  bool verbose = false;  // log what each pass changed to stderr
  std::vector<std::string> disabled_passes;
  // Nodes (by name or op type) that stay fp32 whatever the precision.
  std::vector<std::string> keep_fp32;
  // fp16: keep fp32 graph inputs and outputs (cast at the edges) instead of taking fp16 as is.
  bool keep_io_types = false;
  // CUDA fp32: let GEMMs and convolutions use TF32 tensor cores (10-bit mantissa inputs). Off by
  // default so fp32 means fp32.
  bool allow_tf32 = false;
  // CUDA: batch sizes to choose tactics (cuBLASLt algorithms, cuDNN or GEMM per convolution) for
  // at compile time, besides batch 1, like the shapes of TensorRT's optimization profile: a plan
  // saved afterwards runs them without searching. Other batch sizes are tuned on first use. Each
  // sets every input whose first dimension is dynamic; the CPU backend ignores them.
  std::vector<int64_t> tune_batch_sizes;
  // CUDA: the GPU (device ordinal) the engine runs on; -1: the device current on the thread that
  // compiles. Sessions run there whatever device their calling thread has current. Not stored in
  // plans (RuntimeOptions::cuda_device picks it when loading).
  int cuda_device = -1;
  CalibrationOptions calibration;  // int8 (and fp16 range checks)
  // How an image becomes the first input (lowp/preprocessing.h). Not used by compiling: stored in
  // the plan so that tools and Engine::preprocess read photos as the model expects.
  std::optional<Preprocessing> preprocessing;
  FoldingLimits folding;
  // Compiled programs an engine keeps, least recently used evicted: one per set of input dims (and
  // per value of inputs whose contents decide shapes). Bounds memory when callers vary shapes.
  size_t program_cache_size = 16;
  // Check the graph after import and after every pass (lowp/graph_verifier.h): a pass that breaks
  // the IR fails there, naming it. Costs one shape inference per pass.
  bool verify = false;
  // Called with each pass's name and the graph after it (and "import" first); for tools that show
  // the IR at a point of the pipeline (`lowp inspect --after-pass`). Not kept by the engine.
  std::function<void(const std::string& stage, const Graph& graph)> after_each_pass;
};

struct RuntimeOptions {
  int threads = 0;  // 0: all cores
  // Run a plan on another device than it was compiled for (plans hold the graph, not kernels).
  std::optional<Device> device;
  // CUDA: the GPU to load the plan on (see CompileOptions::cuda_device); -1: the current one.
  int cuda_device = -1;
  size_t program_cache_size = 16;  // see CompileOptions::program_cache_size
};

// True when this build of lowp includes the CUDA backend (whether or not a GPU is present).
bool has_cuda_backend();
// Number of CUDA devices this build can use: 0 when it was built without the CUDA backend
// (LOWP_CUDA=OFF) or no device / driver is present.
int cuda_device_count();
// Why cuda_device_count() is 0 ("" when it is not): for messages and skipped tests.
std::string cuda_unavailable_reason();

}  // namespace lowp
