// lowp._lowp: nanobind bindings over the public C++ API (lowp/lowp.h) and the command's compile
// and compare (tool_bindings). Nothing is re-implemented: Engine, Session and the options are the
// C++ ones; arrays cross without copies where their dtype and layout allow (arrays.h); the GIL is
// released while compiling and running. lowp::Error and the command's usage errors become
// lowp.Error (a RuntimeError with .code). The Pythonic layer (lowp/__init__.py) sits on top.
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "python/src/arrays.h"
#include "python/src/tool_bindings.h"
#include "tools/cli/cli_options.h"

namespace nb = nanobind;
using namespace nb::literals;
using lowp::python::AnyArray;

namespace {

std::map<std::string, nb::object> run_session(lowp::Session& session, const lowp::Engine& engine,
                                              const nb::dict& feeds) {
  std::vector<AnyArray> arrays;  // keep the views' memory alive through the run
  std::vector<lowp::TensorBinding> inputs;
  for (const lowp::TensorDesc& d : engine.inputs()) {
    if (!feeds.contains(d.name.c_str())) {
      throw lowp::Error(lowp::ErrorCode::kInvalidArgument, "input '" + d.name + "' not given");
    }
    arrays.push_back(nb::cast<AnyArray>(feeds[d.name.c_str()]));
    inputs.push_back({d.name, lowp::python::view_of(arrays.back(), d.name)});
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
    result[engine.outputs()[i].name] = lowp::python::to_numpy(std::move(outputs[i]));
  }
  return result;
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

void bind_engine(nb::module_& m) {
  nb::class_<lowp::Session>(m, "Session", "Runs an engine; one per thread")
      .def(
          "run",
          [](lowp::Session& s, const lowp::Engine& e, const nb::dict& feeds) {
            return run_session(s, e, feeds);
          },
          "engine"_a, "feeds"_a, "Runs `engine` on {input name: array}; {output name: array}");

  nb::class_<lowp::Engine>(m, "Engine", "A compiled model (a plan)")
      .def_static(
          "load",
          [](const std::string& path, int threads) {
            nb::gil_scoped_release nogil;
            lowp::RuntimeOptions options;
            options.threads = threads;
            return std::const_pointer_cast<lowp::Engine>(lowp::Engine::load_plan(path, options));
          },
          "path"_a, "threads"_a = 0, "Loads a plan; threads: 0 for all cores")
      .def(
          "save",
          [](const lowp::Engine& e, const std::string& path) {
            nb::gil_scoped_release nogil;
            e.save_plan(path);
          },
          "path"_a, "Writes the plan")
      .def_prop_ro(
          "inputs", [](const lowp::Engine& e) { return describe_tensors(e.inputs()); },
          "(name, dtype, dims) of each input; None for a dynamic dim")
      .def_prop_ro(
          "outputs", [](const lowp::Engine& e) { return describe_tensors(e.outputs()); },
          "(name, dtype, dims) of each output")
      .def("precision_note", &lowp::Engine::precision_note,
           "How it computes when that differs from what was asked, else ''")
      .def("describe", &lowp::Engine::describe, "One line per node: how it runs")
      .def("create_session", &lowp::Engine::create_session, "A session (one per thread)");
}

}  // namespace

NB_MODULE(_lowp, m) {
  m.doc() = "lowp inference runtime (C++ core); use the `lowp` package";

  static nb::object error_type = nb::exception<lowp::Error>(m, "Error", PyExc_RuntimeError);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    auto raise = [](const char* message, const char* code) {
      nb::object instance = error_type(message);
      instance.attr("code") = code;
      PyErr_SetObject(error_type.ptr(), instance.ptr());
    };
    try {
      std::rethrow_exception(p);
    } catch (const lowp::Error& e) {
      raise(e.what(), code_id(e.code()));
    } catch (const lowp::cli::UsageError& e) {
      raise(e.what(), "invalid_argument");
    }
  });

  // The address Session.run reads an input from: equal to the array's own data pointer when it is
  // taken in place (tests prove zero-copy with it).
  m.def(
      "_input_address",
      [](const AnyArray& a) {
        return reinterpret_cast<uintptr_t>(lowp::python::view_of(a, "x").raw());
      },
      "array"_a, "The address Session.run would read `array` from (tests of zero-copy)");

  bind_engine(m);
  lowp::python::bind_tools(m);
}
