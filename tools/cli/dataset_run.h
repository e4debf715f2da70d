// Runs a labelled set through an engine in batches: what compare and the accuracy budget measure.
#pragma once

#include "lowp/lowp.h"
#include "tools/cli/compare_dataset.h"

namespace lowp::cli {

// Every image of `set` (the first `limit`, 0: all) through `engine`, `batch` at a time; returns
// f32 logits [n, classes]. median_ms (optional): the median time of one batch (one image run ten
// times when the set has one). A model whose output is not [batch, classes] is a UsageError.
Tensor run_set(const Engine& engine, const LabelledSet& set, int batch, double* median_ms = nullptr,
               int64_t limit = 0);

}  // namespace lowp::cli
