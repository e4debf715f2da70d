// The `lowp` command's options, compile and compare, bound as they are: lowp.compile builds its
// options and calibration data as `lowp compile` does (folders of images, .npy files, idx,
// preprocessing presets), and lowp.compare returns exactly what `lowp compare --json` prints.
#include "python/src/tool_bindings.h"

#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <span>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/graph.h"
#include "python/src/arrays.h"
#include "python/src/calibration_source.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"
#include "tools/cli/run_inputs.h"
#include "tools/io/image_preprocess.h"

namespace lowp::python {
using namespace nb::literals;
namespace {

using cli::CompareArgs;
using cli::PrecisionArgs;
using cli::PreprocessArgs;

void bind_option_structs(nb::module_& m) {
  nb::class_<PreprocessArgs>(m, "PreprocessArgs", "The command's preprocessing flags")
      .def(nb::init<>())
      .def_rw("preset", &PreprocessArgs::preset)
      .def_rw("resize", &PreprocessArgs::resize)
      .def_rw("crop", &PreprocessArgs::crop)
      .def_rw("filter", &PreprocessArgs::filter)
      .def_rw("mean", &PreprocessArgs::mean)
      .def_rw("std", &PreprocessArgs::std)
      .def_rw("scale", &PreprocessArgs::scale)
      .def_rw("layout", &PreprocessArgs::layout)
      .def_rw("bgr", &PreprocessArgs::bgr)
      .def_rw("gray", &PreprocessArgs::gray);
  nb::class_<PrecisionArgs>(m, "PrecisionArgs", "The command's precision and calibration flags")
      .def(nb::init<>())
      .def_rw("device", &PrecisionArgs::device)
      .def_rw("precision", &PrecisionArgs::precision)
      .def_rw("keep_fp32", &PrecisionArgs::keep_fp32)
      .def_rw("keep_io_types", &PrecisionArgs::keep_io_types)
      .def_rw("calib", &PrecisionArgs::calib)
      .def_rw("calib_format", &PrecisionArgs::calib_format)
      .def_rw("calib_count", &PrecisionArgs::calib_count)
      .def_rw("calib_batch", &PrecisionArgs::calib_batch)
      .def_rw("calibrator", &PrecisionArgs::calibrator)
      .def_rw("percentile", &PrecisionArgs::percentile)
      .def_rw("calib_cache", &PrecisionArgs::calib_cache)
      .def_rw("symmetric", &PrecisionArgs::symmetric)
      .def_rw("preprocess", &PrecisionArgs::preprocess);
  nb::class_<CompareArgs>(m, "CompareArgs", "The flags of `lowp compare`")
      .def(nb::init<>())
      .def_rw("model", &CompareArgs::model)
      .def_rw("precisions", &CompareArgs::precisions)
      .def_rw("precision", &CompareArgs::precision)
      .def_rw("image", &CompareArgs::image)
      .def_rw("input", &CompareArgs::input)
      .def_rw("dataset", &CompareArgs::dataset)
      .def_rw("dataset_format", &CompareArgs::dataset_format)
      .def_rw("dataset_labels", &CompareArgs::dataset_labels)
      .def_rw("labels", &CompareArgs::labels)
      .def_rw("report", &CompareArgs::report)
      .def_rw("limit", &CompareArgs::limit)
      .def_rw("batch", &CompareArgs::batch)
      .def_rw("threads", &CompareArgs::threads)
      .def_rw("per_layer", &CompareArgs::per_layer);
}

// The model's input names, in order, from an import (no compile).
std::vector<std::string> input_names(const std::string& onnx_path) {
  const std::shared_ptr<Graph> graph = onnx_frontend::import_file(onnx_path);
  std::vector<std::string> names;
  for (const auto& v : graph->inputs) names.push_back(v->name);
  return names;
}

std::shared_ptr<Engine> compile(const std::string& path, const PrecisionArgs& args, int threads,
                                nb::object calibration) {
  CompileOptions options = cli::compile_options(args, threads);
  if (!calibration.is_none()) {
    std::vector<std::string> names;
    {
      nb::gil_scoped_release nogil;
      names = input_names(path);
    }
    options.calibration.source =
        std::make_shared<PythonCalibrationSource>(nb::iter(calibration), std::move(names));
  }
  nb::gil_scoped_release nogil;
  // Python holds engines as shared_ptr<Engine>; every method bound is const.
  return std::const_pointer_cast<Engine>(cli::compile_model(path, options, args));
}

// Encoded images (file paths or the bytes of JPEG / PNG files) preprocessed for the engine's
// first input as `lowp run --image` does (the plan's preprocessing, `args` on top, or the guess),
// stacked along the batch axis in the input's dtype.
nb::object load_images(const Engine& engine, const nb::list& items, const PreprocessArgs& args) {
  const TensorDesc& input = engine.inputs().at(0);
  const std::optional<Preprocessing> pre =
      cli::resolve_preprocessing(args, engine.options().preprocessing, input.dims);
  if (!pre) {
    throw Error(ErrorCode::kInvalidArgument,
                "input '" + input.name +
                    "': no preprocessing stored in the plan or guessed from its dims; give one");
  }
  struct Item {
    std::string path;                // a file, or
    std::span<const uint8_t> bytes;  // its bytes (kept alive by `items`)
  };
  std::vector<Item> parsed;
  for (size_t i = 0; i < items.size(); ++i) {
    nb::handle h = items[i];
    if (nb::isinstance<nb::bytes>(h)) {
      nb::bytes b = nb::borrow<nb::bytes>(h);
      parsed.push_back(
          {"image #" + std::to_string(i), {static_cast<const uint8_t*>(b.data()), b.size()}});
    } else {
      parsed.push_back({nb::cast<std::string>(nb::str(h)), {}});
    }
  }
  if (parsed.empty()) throw Error(ErrorCode::kInvalidArgument, "load_images: no images given");
  Tensor batch;
  {
    nb::gil_scoped_release nogil;
    std::vector<Tensor> images;
    for (const Item& it : parsed) {
      images.push_back(it.bytes.data()
                           ? io::preprocess_encoded_image(it.bytes, it.path, *pre, input.dims)
                           : io::load_image_preprocessed(it.path, *pre, input.dims));
    }
    batch = cli::images_as_input(engine, images);
  }
  return to_numpy(std::move(batch));
}

}  // namespace

void bind_tools(nb::module_& m) {
  bind_option_structs(m);
  m.def("compile", &compile, "path"_a, "args"_a, "threads"_a, "calibration"_a.none(),
        "Compiles an ONNX model as `lowp compile` does; `calibration`, when not None, is an "
        "iterable of batches used instead of args.calib");
  m.def(
      "compare",
      [](const CompareArgs& args) {
        nb::gil_scoped_release nogil;
        return cli::compare_json(args);
      },
      "args"_a, "The JSON lines of `lowp compare --json`, one per precision");
  m.def("load_images", &load_images, "engine"_a, "images"_a, "preprocess"_a,
        "Image files or encoded bytes -> the engine's first input, stacked [N, ...]");
}

}  // namespace lowp::python
