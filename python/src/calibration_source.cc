#include "python/src/calibration_source.h"

#include "python/src/arrays.h"

namespace lowp::python {

PythonCalibrationSource::PythonCalibrationSource(nb::object iterator,
                                                 std::vector<std::string> input_names)
    : iterator_(std::move(iterator)), input_names_(std::move(input_names)) {}

PythonCalibrationSource::~PythonCalibrationSource() {
  if (!iterator_.is_valid()) return;
  if (Py_IsInitialized()) {
    nb::gil_scoped_acquire gil;
    iterator_.reset();
  } else {
    iterator_.release();  // the interpreter is gone: nothing to give it back to
  }
}

bool PythonCalibrationSource::next(std::vector<Tensor>& batch) {
  nb::gil_scoped_acquire gil;
  if (!iterator_.is_valid()) return false;
  nb::object item = nb::steal(PyIter_Next(iterator_.ptr()));
  if (!item.is_valid()) {
    if (PyErr_Occurred()) throw nb::python_error();
    iterator_.reset();
    return false;
  }
  batch.clear();
  for (const std::string& name : input_names_) {
    nb::object value = nb::isinstance<nb::dict>(item) ? item[name.c_str()] : item;
    AnyArray a = nb::cast<AnyArray>(value);
    batch.push_back(view_of(a, name).clone());  // the batch outlives the Python item
  }
  ++batches_;
  return true;
}

std::string PythonCalibrationSource::describe() const {
  return std::to_string(batches_) + " batches from Python";
}

}  // namespace lowp::python
