#include "tools/cli/run_inputs.h"

#include <cstdint>
#include <map>

#include "tools/cli/model_util.h"
#include "tools/io/image_preprocess.h"
#include "tools/io/npy.h"
#include "tools/io/tensor_batch.h"

namespace lowp::cli {
namespace {

std::string input_names(const Engine& engine) {
  std::string s;
  for (const TensorDesc& d : engine.inputs()) s += (s.empty() ? "" : ", ") + d.name;
  return s;
}

// Dims must agree except where the model has a dynamic (-1) dimension.
void check_dims_fit(const TensorDesc& desc, const Tensor& tensor, const std::string& source) {
  bool fits = tensor.dims().size() == desc.dims.size();
  for (size_t i = 0; fits && i < desc.dims.size(); ++i) {
    fits = desc.dims[i] < 0 || desc.dims[i] == tensor.dims()[i];
  }
  if (!fits) {
    throw_error(ErrorCode::kInvalidArgument, source + ": dims " + format_dims(tensor.dims()) +
                                                 " do not fit model input '" + desc.name + "' " +
                                                 format_dims(desc.dims));
  }
}

// The reason `from` cannot feed an input of dtype `to` without losing its meaning, or "".
// Floats and integers feed float inputs; integers feed integer inputs when every value fits;
// floats never feed integer inputs (fractions would be dropped); bool feeds only bool.
std::string conversion_refusal(const Tensor& t, DataType to) {
  const DataType from = t.dtype();
  if (from == DataType::kBool || to == DataType::kBool) return "bool converts only to bool";
  if (traits(to).is_float) return "";
  if (traits(from).is_float) return "float values would lose their fractions";
  int64_t lo = 0, hi = 0;
  switch (to) {
    case DataType::kS8:
      lo = -128, hi = 127;
      break;
    case DataType::kU8:
      lo = 0, hi = 255;
      break;
    case DataType::kS32:
      lo = INT32_MIN, hi = INT32_MAX;
      break;
    default:
      return "";  // s64 holds every integer
  }
  const std::vector<int64_t> values = t.to_int64();
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < lo || values[i] > hi) {
      return "element " + std::to_string(i) + " (" + std::to_string(values[i]) + ") is outside " +
             name_of(to) + "'s range";
    }
  }
  return "";
}

// `tensor` as the model input's dtype: converted, with a note, when the values keep their meaning
// in it (numpy's float64 default, integer pixels for a float input); refused otherwise.
Tensor to_input_dtype(const TensorDesc& desc, Tensor tensor, const std::string& source,
                      std::vector<std::string>* notes) {
  if (tensor.dtype() == desc.dtype) return tensor;
  const std::string refusal = conversion_refusal(tensor, desc.dtype);
  if (!refusal.empty()) {
    throw_error(ErrorCode::kInvalidArgument, source + ": dtype " + name_of(tensor.dtype()) +
                                                 " cannot feed model input '" + desc.name + "' (" +
                                                 name_of(desc.dtype) + "): " + refusal);
  }
  notes->push_back(source + ": " + name_of(tensor.dtype()) + " converted to " +
                   name_of(desc.dtype) + " for input '" + desc.name + "'");
  return tensor.cast(desc.dtype);
}

Preprocessing choose_preprocessing(const Engine& engine, const RunArgs& args,
                                   std::vector<std::string>* notes) {
  const Dims& dims = engine.inputs()[0].dims;
  bool guessed = false;
  const std::optional<Preprocessing> p = resolve_preprocessing(
      args.precision.preprocess, engine.options().preprocessing, dims, &guessed);
  if (!p) {
    throw UsageError("cannot tell the preprocessing from the model input dims " +
                     format_dims(dims) + "; pass --preprocess PRESET or compile the plan with one");
  }
  if (guessed) {
    notes->push_back("preprocessing " + p->preset + ", guessed from the input dims " +
                     format_dims(dims) + " (store one with `lowp compile --preprocess`)");
  }
  return *p;
}

RunInputs from_images(const Engine& engine, const RunArgs& args) {
  if (engine.inputs().size() != 1) {
    throw UsageError("--image needs a model with one input; this one has " + input_names(engine));
  }
  RunInputs result;
  result.preprocessing = choose_preprocessing(engine, args, &result.notes);
  std::vector<Tensor> items;
  for (const std::string& path : args.images) {
    items.push_back(
        io::load_image_preprocessed(path, *result.preprocessing, engine.inputs()[0].dims));
    result.sources.push_back(path);
  }
  Tensor batch = images_as_input(engine, items);
  check_dims_fit(engine.inputs()[0], batch, args.images[0]);
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
    io::NpyConversion narrowed;
    Tensor t = io::read_npy(it->second, &narrowed);
    if (!narrowed.from.empty()) {
      result.notes.push_back(it->second + ": " + narrowed.from + " read as " + narrowed.to);
    }
    check_dims_fit(desc, t, it->second);
    t = to_input_dtype(desc, std::move(t), it->second, &result.notes);
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
  if (npy && args.precision.preprocess.given() && args.precision.calib.empty()) {
    throw UsageError("preprocessing options apply to --image and calibration images only");
  }
  return npy ? from_npy(engine, args) : from_images(engine, args);
}

Tensor images_as_input(const Engine& engine, const std::vector<Tensor>& images) {
  Tensor batch = io::stack_batch(images);
  // An fp16 plan without --keep-io-types takes fp16 inputs: convert the preprocessed pixels.
  const DataType wanted = engine.inputs()[0].dtype;
  if (wanted != DataType::kF32 && traits(wanted).is_float) batch = batch.cast(wanted);
  return batch;
}

}  // namespace lowp::cli
