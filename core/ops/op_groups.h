// Each op group's file contributes its schemas to the table in op_schema.cc.
#pragma once

#include <vector>

#include "lowp/op_schema.h"

namespace lowp {

void append_nn_schemas(std::vector<OpSchema>& out);           // nn_shapes.cc
void append_elementwise_schemas(std::vector<OpSchema>& out);  // elementwise_shapes.cc
void append_tensor_schemas(std::vector<OpSchema>& out);       // tensor_shapes.cc
void append_quant_schemas(std::vector<OpSchema>& out);        // quant_shapes.cc
void append_math_schemas(std::vector<OpSchema>& out);         // math_shapes.cc
void append_generator_schemas(std::vector<OpSchema>& out);    // generator_shapes.cc

}  // namespace lowp
