// Calibration data for int8 compiles, as lowp::CalibrationSource implementations the `lowp`
// command (and tests) hand to CompileOptions::calibration.source:
//  - images: a folder of JPEG / PNG files (or one file), sorted by file name, each preprocessed
//    as the given Preprocessing says;
//  - npy: one .npy file or a folder of them (sorted by name), already preprocessed; each file
//    holds a batch [N, ...] or one sample [...]; rows are regrouped into batches of `batch`;
//  - idx: Fashion-MNIST, the images .gz file or its folder (train-images-idx3-ubyte.gz), first
//    `count` images, preprocessed likewise (the fashion preset when none is given);
//  - random: standard-normal noise from a fixed seed (warns once on stderr: scales from noise are
//    poor).
// Every source gives batches of `batch` images (the last may be smaller), at most `count` images
// in all (0: all available; 64 for random), as one f32 tensor for a single-input model.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lowp/options.h"
#include "lowp/tensor.h"

namespace lowp::io {

// path_or_random: a file, a folder, or "random". format: "images", "npy", "idx", "random" or ""
// (guess from the path). preprocessing: how images become inputs (required for images).
// input_dims: the model input's dims, -1 for dynamic ones (the batch). Throws lowp::Error naming
// the path: kIo when it is missing, kInvalidArgument for an unknown format, images without a
// preprocessing, empty folders, or data whose dims do not fit the model.
std::shared_ptr<CalibrationSource> make_calibration_source(
    const std::string& path_or_random, const std::string& format, int count, int batch,
    const std::optional<Preprocessing>& preprocessing, const Dims& input_dims);

}  // namespace lowp::io
