// Calibration batches pulled from a Python iterable: each item one array (a single-input model)
// or a dict {input name: array}. compile() runs without the GIL; the source takes it per batch.
#pragma once

#include <nanobind/nanobind.h>

#include <string>
#include <vector>

#include "lowp/options.h"

namespace lowp::python {

namespace nb = nanobind;

class PythonCalibrationSource : public CalibrationSource {
 public:
  // `input_names` in the model's input order.
  PythonCalibrationSource(nb::object iterator, std::vector<std::string> input_names);
  // The engine keeps its options (and so this source) and may be destroyed on any thread, or at
  // exit: the iterator is dropped as soon as it is exhausted, and otherwise only while Python runs.
  ~PythonCalibrationSource() override;
  PythonCalibrationSource(const PythonCalibrationSource&) = delete;
  PythonCalibrationSource& operator=(const PythonCalibrationSource&) = delete;

  // An exception the iterator raises comes through as itself (nb::python_error).
  bool next(std::vector<Tensor>& batch) override;
  std::string describe() const override;

 private:
  nb::object iterator_;
  std::vector<std::string> input_names_;
  int64_t batches_ = 0;
};

}  // namespace lowp::python
