#include "tools/cli/run_inputs.h"

#include <cstring>
#include <map>

#include "tools/cli/model_util.h"
#include "tools/io/npy.h"

namespace lowp::cli {
namespace {

std::string input_names(const Engine& engine) {
  std::string s;
  for (const TensorDesc& d : engine.inputs()) s += (s.empty() ? "" : ", ") + d.name;
  return s;
}

// Dims must agree except where the model has a dynamic (-1) dimension.
void check_fits(const TensorDesc& desc, const Tensor& tensor, const std::string& source) {
  bool fits = tensor.dims().size() == desc.dims.size();
  for (size_t i = 0; fits && i < desc.dims.size(); ++i) {
    fits = desc.dims[i] < 0 || desc.dims[i] == tensor.dims()[i];
  }
  if (!fits) {
    throw_error(ErrorCode::kInvalidArgument, source + ": dims " + format_dims(tensor.dims()) +
                                                 " do not fit model input '" + desc.name + "' " +
                                                 format_dims(desc.dims));
  }
  if (tensor.dtype() != desc.dtype) {
    throw_error(ErrorCode::kInvalidArgument, source + ": dtype " + name_of(tensor.dtype()) +
                                                 " does not match model input '" + desc.name +
                                                 "' (" + name_of(desc.dtype) + ")");
  }
}

io::Preprocess choose_preprocess(const Engine& engine, const RunArgs& args) {
  if (!args.preprocess.empty()) return io::parse_preprocess(args.preprocess);
  const Dims& dims = engine.inputs()[0].dims;
  if (dims.size() == 4 && dims[2] == 64 && dims[3] == 64) return io::Preprocess::kFashion;
  if (dims.size() == 4 && dims[2] == 224 && dims[3] == 224) return io::Preprocess::kImagenet;
  throw UsageError("cannot tell the preprocessing from the model input dims " + format_dims(dims) +
                   "; pass --preprocess imagenet|fashion");
}

RunInputs from_images(const Engine& engine, const RunArgs& args) {
  if (engine.inputs().size() != 1) {
    throw UsageError("--image needs a model with one input; this one has " + input_names(engine));
  }
  RunInputs result;
  result.preprocess = choose_preprocess(engine, args);
  std::vector<Tensor> items;
  for (const std::string& path : args.images) {
    items.push_back(io::load_image_preprocessed(path, *result.preprocess));
    result.sources.push_back(path);
  }
  Dims dims = items[0].dims();
  dims[0] = static_cast<int64_t>(items.size());
  Tensor batch(DataType::kF32, dims);
  auto* dst = static_cast<unsigned char*>(batch.raw());
  for (const Tensor& t : items) {
    std::memcpy(dst, t.raw(), t.bytes());
    dst += t.bytes();
  }
  // An fp16 plan without --keep-io-types takes fp16 inputs: convert the preprocessed pixels.
  const DataType wanted = engine.inputs()[0].dtype;
  if (wanted != DataType::kF32 && traits(wanted).is_float) batch = batch.cast(wanted);
  check_fits(engine.inputs()[0], batch, args.images[0]);
  result.tensors.push_back(std::move(batch));
  return result;
}

RunInputs from_npy(const Engine& engine, const RunArgs& args) {
  std::map<std::string, std::string> files;  // input name -> path
  if (!args.input_file.empty()) {
    if (engine.inputs().size() != 1) {
      throw UsageError("the model has several inputs (" + input_names(engine) +
                       "); bind each with --input NAME=FILE.npy");
    }
    files[engine.inputs()[0].name] = args.input_file;
  }
  for (const std::string& binding : args.inputs) {
    const size_t eq = binding.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == binding.size()) {
      throw UsageError("--input expects NAME=FILE.npy, got '" + binding + "'");
    }
    const std::string name = binding.substr(0, eq);
    bool known = false;
    for (const TensorDesc& d : engine.inputs()) known = known || d.name == name;
    if (!known) {
      throw UsageError("the model has no input '" + name + "' (inputs: " + input_names(engine) +
                       ")");
    }
    if (!files.emplace(name, binding.substr(eq + 1)).second) {
      throw UsageError("input '" + name + "' is given twice");
    }
  }
  RunInputs result;
  for (const TensorDesc& desc : engine.inputs()) {
    auto it = files.find(desc.name);
    if (it == files.end()) {
      throw UsageError("no data for model input '" + desc.name + "' " + format_dims(desc.dims) +
                       "; pass --input " + desc.name + "=FILE.npy or --image");
    }
    Tensor t = io::read_npy(it->second);
    check_fits(desc, t, it->second);
    if (result.tensors.empty()) {
      const int64_t batch = t.rank() > 0 ? t.dims()[0] : 1;
      for (int64_t i = 0; i < batch; ++i) {
        result.sources.push_back(it->second + "[" + std::to_string(i) + "]");
      }
    }
    result.tensors.push_back(std::move(t));
  }
  return result;
}

}  // namespace

RunInputs gather_run_inputs(const Engine& engine, const RunArgs& args) {
  const bool npy = !args.input_file.empty() || !args.inputs.empty();
  if (npy && !args.images.empty()) throw UsageError("use either npy inputs or --image, not both");
  if (!npy && args.images.empty()) {
    throw UsageError("no input: pass FILE.npy, --input NAME=FILE.npy or --image PATH");
  }
  if (npy && !args.preprocess.empty()) throw UsageError("--preprocess applies to --image only");
  return npy ? from_npy(engine, args) : from_images(engine, args);
}

}  // namespace lowp::cli
