// lowp._lowp: nanobind bindings over the public C++ API (lowp/lowp.h). Nothing is re-implemented:
// Engine, Session and CompileOptions are the C++ ones; arrays cross without copies where their
// dtype and layout allow (C-contiguous float32 / float16 / int8 numpy arrays and DLPack tensors);
// the GIL is released while compiling and running. lowp::Error becomes lowp.Error (a RuntimeError
// with .code). The Pythonic layer (lowp/__init__.py) sits on top.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowp/lowp.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using AnyArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

// The element types that cross between numpy / DLPack and lowp, one table for both directions.
struct DtypePair {
  lowp::DataType lowp;
  nb::dlpack::dtype_code code;
  uint8_t bits;
};
constexpr DtypePair kDtypes[] = {
    {lowp::DataType::kF32, nb::dlpack::dtype_code::Float, 32},
    {lowp::DataType::kF16, nb::dlpack::dtype_code::Float, 16},
    {lowp::DataType::kS8, nb::dlpack::dtype_code::Int, 8},
    {lowp::DataType::kU8, nb::dlpack::dtype_code::UInt, 8},
    {lowp::DataType::kS32, nb::dlpack::dtype_code::Int, 32},
    {lowp::DataType::kS64, nb::dlpack::dtype_code::Int, 64},
};

lowp::DataType dtype_of(const nb::dlpack::dtype& dt) {
  for (const DtypePair& p : kDtypes) {
    if (dt.lanes == 1 && dt.code == static_cast<uint8_t>(p.code) && dt.bits == p.bits)
      return p.lowp;
  }
  return lowp::DataType::kUndefined;
}

// A view of the caller's array (no copy); the array must outlive the view.
lowp::Tensor view_of(const AnyArray& a, const std::string& name) {
  const lowp::DataType dtype = dtype_of(a.dtype());
  if (dtype == lowp::DataType::kUndefined) {
    throw lowp::Error(lowp::ErrorCode::kInvalidArgument,
                      "input '" + name +
                          "': unsupported array dtype (float32, float16, int8, "
                          "uint8, int32, int64)");
  }
  lowp::Dims dims;
  for (size_t i = 0; i < a.ndim(); ++i) dims.push_back(static_cast<int64_t>(a.shape(i)));
  return lowp::Tensor::view(dtype, dims, const_cast<void*>(a.data()));
}

nb::dlpack::dtype dlpack_of(lowp::DataType dtype) {
  for (const DtypePair& p : kDtypes) {
    if (p.lowp != dtype) continue;
    nb::dlpack::dtype d;
    d.code = static_cast<uint8_t>(p.code);
    d.bits = p.bits;
    d.lanes = 1;
    return d;
  }
  throw lowp::Error(
      lowp::ErrorCode::kUnsupported,
      std::string("output dtype ") + lowp::name_of(dtype) + " has no numpy equivalent here");
}

// A numpy array owning `t` (moved to the heap; freed with the array).
nb::object to_numpy(lowp::Tensor&& t) {
  auto* owned = new lowp::Tensor(std::move(t));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<lowp::Tensor*>(p); });
  std::vector<size_t> shape(owned->dims().begin(), owned->dims().end());
  return nb::cast(nb::ndarray<nb::numpy>(owned->raw(), shape.size(), shape.data(), owner, nullptr,
                                         dlpack_of(owned->dtype())));
}

// Pulls calibration batches from a Python iterator of dicts {input name: array} or arrays (one
// input). Takes the GIL for each batch: compile() runs without it.
class PythonCalibrationSource : public lowp::CalibrationSource {
 public:
  PythonCalibrationSource(nb::object iterator, std::vector<lowp::TensorDesc> inputs)
      : iterator_(std::move(iterator)), inputs_(std::move(inputs)) {}
  // The engine keeps its options (and so this source) and may be destroyed on any thread, or at
  // exit: the iterator is dropped as soon as it is exhausted, and otherwise only while Python runs.
  ~PythonCalibrationSource() override {
    if (!iterator_.is_valid()) return;
    if (Py_IsInitialized()) {
      nb::gil_scoped_acquire gil;
      iterator_.reset();
    } else {
      iterator_.release();  // the interpreter is gone: nothing to give it back to
    }
  }
  bool next(std::vector<lowp::Tensor>& batch) override {
    nb::gil_scoped_acquire gil;
    if (!iterator_.is_valid()) return false;
    nb::object item = nb::steal(PyIter_Next(iterator_.ptr()));
    if (!item.is_valid()) {
      if (PyErr_Occurred()) throw nb::python_error();
      iterator_.reset();
      return false;
    }
    batch.clear();
    for (const lowp::TensorDesc& in : inputs_) {
      nb::object value = nb::isinstance<nb::dict>(item) ? item[in.name.c_str()] : item;
      AnyArray a = nb::cast<AnyArray>(value);
      batch.push_back(view_of(a, in.name).clone());  // the batch outlives the Python item
    }
    ++batches_;
    return true;
  }
  std::string describe() const override {
    return std::to_string(batches_) + " batches from Python";
  }

 private:
  nb::object iterator_;
  std::vector<lowp::TensorDesc> inputs_;
  int64_t batches_ = 0;
};

std::map<std::string, nb::object> run_session(lowp::Session& session, const lowp::Engine& engine,
                                              const nb::dict& feeds) {
  std::vector<AnyArray> arrays;  // keep the views' memory alive through the run
  std::vector<lowp::TensorBinding> inputs;
  for (const lowp::TensorDesc& d : engine.inputs()) {
    if (!feeds.contains(d.name.c_str())) {
      throw lowp::Error(lowp::ErrorCode::kInvalidArgument, "input '" + d.name + "' not given");
    }
    arrays.push_back(nb::cast<AnyArray>(feeds[d.name.c_str()]));
    inputs.push_back({d.name, view_of(arrays.back(), d.name)});
  }
  for (auto [key, value] : feeds) {
    const std::string name = nb::cast<std::string>(key);
    bool known = false;
    for (const lowp::TensorDesc& d : engine.inputs()) known |= d.name == name;
    if (!known)
      throw lowp::Error(lowp::ErrorCode::kInvalidArgument, "no input named '" + name + "'");
  }
  std::vector<lowp::Tensor> outputs;
  {
    nb::gil_scoped_release nogil;
    outputs = session.run(inputs);
  }
  std::map<std::string, nb::object> result;
  for (size_t i = 0; i < outputs.size(); ++i) {
    result[engine.outputs()[i].name] = to_numpy(std::move(outputs[i]));
  }
  return result;
}

// nanobind holds engines as shared_ptr<Engine>; every method bound is const.
std::shared_ptr<lowp::Engine> mutable_engine(std::shared_ptr<const lowp::Engine> e) {
  return std::const_pointer_cast<lowp::Engine>(std::move(e));
}

nb::list describe_tensors(const std::vector<lowp::TensorDesc>& descs) {
  nb::list out;
  for (const auto& d : descs) {
    nb::list dims;
    for (int64_t v : d.dims) dims.append(v < 0 ? nb::object(nb::none()) : nb::int_(v));
    out.append(nb::make_tuple(d.name, lowp::name_of(d.dtype), nb::tuple(dims)));
  }
  return out;
}

// Stable identifiers for lowp.Error.code.
const char* code_id(lowp::ErrorCode code) {
  switch (code) {
    case lowp::ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case lowp::ErrorCode::kInvalidModel:
      return "invalid_model";
    case lowp::ErrorCode::kUnsupported:
      return "unsupported";
    case lowp::ErrorCode::kIo:
      return "io";
    case lowp::ErrorCode::kBackend:
      return "backend";
    case lowp::ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace

NB_MODULE(_lowp, m) {
  m.doc() = "lowp inference runtime (C++ core); use the `lowp` package";

  static nb::object error_type = nb::exception<lowp::Error>(m, "Error", PyExc_RuntimeError);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const lowp::Error& e) {
      nb::object instance = error_type(e.what());
      instance.attr("code") = code_id(e.code());
      PyErr_SetObject(error_type.ptr(), instance.ptr());
    }
  });

  // The address Session.run reads an input from: equal to the array's own data pointer when it is
  // taken in place (tests prove zero-copy with it).
  m.def(
      "_input_address",
      [](const AnyArray& a) { return reinterpret_cast<uintptr_t>(view_of(a, "x").raw()); },
      "array"_a);

  nb::class_<lowp::Session>(m, "Session")
      .def("run", [](lowp::Session& s, const lowp::Engine& e, const nb::dict& feeds) {
        return run_session(s, e, feeds);
      });

  nb::class_<lowp::Engine>(m, "Engine")
      .def_static(
          "compile",
          [](const std::string& path, const std::string& precision, int threads,
             nb::object calibration, const std::string& calibrator,
             const std::vector<std::string>& keep_fp32) {
            lowp::CompileOptions o;
            o.precision = lowp::parse_precision(precision);
            o.threads = threads;
            o.keep_fp32 = keep_fp32;
            o.calibration.calibrator = lowp::parse_calibrator(calibrator);
            if (!calibration.is_none()) {
              // The inputs' names come from an fp32 compile of the same file.
              std::shared_ptr<const lowp::Engine> probe;
              {
                nb::gil_scoped_release nogil;
                probe = lowp::Engine::compile_onnx(path, lowp::CompileOptions{});
              }
              o.calibration.source =
                  std::make_shared<PythonCalibrationSource>(nb::iter(calibration), probe->inputs());
            }
            nb::gil_scoped_release nogil;
            return mutable_engine(lowp::Engine::compile_onnx(path, o));
          },
          "path"_a, "precision"_a = "fp32", "threads"_a = 0, "calibration"_a = nb::none(),
          "calibrator"_a = "mse", "keep_fp32"_a = std::vector<std::string>{})
      .def_static(
          "load",
          [](const std::string& path) {
            nb::gil_scoped_release nogil;
            return mutable_engine(lowp::Engine::load_plan(path));
          },
          "path"_a)
      .def(
          "save",
          [](const lowp::Engine& e, const std::string& path) {
            nb::gil_scoped_release nogil;
            e.save_plan(path);
          },
          "path"_a)
      .def_prop_ro("inputs", [](const lowp::Engine& e) { return describe_tensors(e.inputs()); })
      .def_prop_ro("outputs", [](const lowp::Engine& e) { return describe_tensors(e.outputs()); })
      .def("precision_note", &lowp::Engine::precision_note)
      .def("describe", &lowp::Engine::describe)
      .def("create_session", &lowp::Engine::create_session);
}
