// lowp.compile and lowp.compare through the `lowp` command's library (tools/cli), so that both
// take the same options and read the same data as the command.
#pragma once

#include <nanobind/nanobind.h>

namespace lowp::python {

namespace nb = nanobind;

void bind_tools(nb::module_& m);

}  // namespace lowp::python
