// Arrays between Python and lowp: numpy arrays and DLPack tensors (PyTorch CPU tensors, ...) as
// lowp::Tensor views without a copy when C-contiguous, and lowp tensors as numpy arrays that own
// them.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <string>

#include "lowp/tensor.h"

namespace lowp::python {

namespace nb = nanobind;

// Read-only (Ray Data hands out read-only batches), C-contiguous (others are copied by nanobind
// on the way in), on the CPU.
using AnyArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

// A view of the caller's array (no copy); the array must outlive the view. An element type lowp
// has no equivalent for is a lowp::Error (kInvalidArgument) naming `name`.
Tensor view_of(const AnyArray& a, const std::string& name);

// A numpy array owning `t` (moved to the heap; freed with the array).
nb::object to_numpy(Tensor&& t);

}  // namespace lowp::python
