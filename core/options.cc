// Names of the options' enumerations, and the backend contract's default run_on_device.
#include "lowp/options.h"

#include "lowp/backend.h"
#include "lowp/error.h"

namespace lowp {

const char* device_name(Device device) { return device == Device::kCpu ? "cpu" : "cuda"; }

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kFp16:
      return "fp16";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
  }
  return "?";
}

Precision parse_precision(const std::string& name) {
  for (auto p : {Precision::kFp32, Precision::kFp16, Precision::kBf16, Precision::kInt8}) {
    if (name == precision_name(p)) return p;
  }
  throw_error(ErrorCode::kInvalidArgument,
              "unknown precision '" + name + "' (fp32, fp16, bf16, int8)");
}

const char* calibrator_name(Calibrator c) {
  switch (c) {
    case Calibrator::kMinMax:
      return "minmax";
    case Calibrator::kPercentile:
      return "percentile";
    case Calibrator::kEntropy:
      return "entropy";
    case Calibrator::kMse:
      return "mse";
    case Calibrator::kAuto:
      return "auto";
  }
  return "?";
}

Calibrator parse_calibrator(const std::string& name) {
  for (auto c : {Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy,
                 Calibrator::kMse, Calibrator::kAuto}) {
    if (name == calibrator_name(c)) return c;
  }
  throw_error(ErrorCode::kInvalidArgument,
              "unknown calibrator '" + name + "' (minmax, percentile, entropy, mse, auto)");
}

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "cuda" || name == "gpu") return Device::kCuda;
  throw_error(ErrorCode::kInvalidArgument, "unknown device '" + name + "' (cpu, cuda)");
}

void CompiledModel::run_on_device(ExecutionContext&, const std::vector<const Tensor*>&,
                                  const std::vector<Tensor*>&) const {
  throw_error(ErrorCode::kUnsupported,
              "this engine runs on the CPU: bind inputs and outputs in host memory "
              "(MemoryKind::kHost)");
}

}  // namespace lowp
