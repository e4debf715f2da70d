#include "passes/calibration_cache.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "lowp/error.h"

namespace lowp {
namespace {

using nlohmann::json;

[[noreturn]] void malformed(const std::string& path, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, "calibration cache '" + path + "': " + what);
}

double number_field(const json& obj, const char* key, const std::string& path,
                    const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) {
    malformed(path, where + "missing or non-numeric \"" + key + "\"");
  }
  const double v = it->get<double>();
  if (!std::isfinite(v)) malformed(path, where + "\"" + key + "\" is not finite");
  return v;
}

// A number_field that must stay finite as the float it is used as (1e39 would become inf).
float float_field(const json& obj, const char* key, const std::string& path,
                  const std::string& where) {
  const auto v = static_cast<float>(number_field(obj, key, path, where));
  if (!std::isfinite(v)) malformed(path, where + "\"" + key + "\" does not fit a float");
  return v;
}

TensorRange parse_range(const json& entry, const std::string& path, const std::string& name) {
  const std::string where = "tensor '" + name + "': ";
  if (!entry.is_object()) malformed(path, where + "expected an object");
  TensorRange r;
  r.min = float_field(entry, "min", path, where);
  r.max = float_field(entry, "max", path, where);
  r.scale = float_field(entry, "scale", path, where);
  auto zp = entry.find("zero_point");
  if (zp == entry.end() || !zp->is_number_integer()) {
    malformed(path, where + "missing or non-integer \"zero_point\"");
  }
  const int64_t z = zp->get<int64_t>();
  if (z < 0 || z > 255)  // asymmetric ranges are stored as u8 (symmetric ones use 0)
    malformed(path, where + "zero_point " + std::to_string(z) + " out of range");
  r.zero_point = static_cast<int32_t>(z);
  // Below the smallest normal float, 1 / scale overflows when requantizing.
  if (!(r.scale >= std::numeric_limits<float>::min())) {
    malformed(path, where + "scale must be positive and normal");
  }
  if (r.min > r.max) malformed(path, where + "min > max");
  return r;
}

}  // namespace

void write_calibration_cache(const std::string& path,
                             const std::map<std::string, TensorRange>& ranges,
                             const CalibrationCacheMeta& meta) {
  json root;
  root["calibrator"] = meta.calibrator;
  root["percentile"] = meta.percentile;
  root["images"] = meta.images;
  root["symmetric"] = meta.symmetric;
  json tensors = json::object();
  for (const auto& [name, r] : ranges) {
    tensors[name] = {
        {"min", r.min}, {"max", r.max}, {"scale", r.scale}, {"zero_point", r.zero_point}};
  }
  root["tensors"] = std::move(tensors);

  try {
    write_file_atomically(path, root.dump(2) + "\n");
  } catch (const Error& e) {
    throw_error(ErrorCode::kIo, "calibration cache '" + path + "': " + e.what());
  }
}

CalibrationCache read_calibration_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorCode::kIo, "calibration cache '" + path + "': cannot open");
  std::stringstream text;
  text << in.rdbuf();
  json root;
  try {
    root = json::parse(text.str());
  } catch (const json::exception& e) {
    malformed(path, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!root.is_object()) malformed(path, "expected a JSON object");

  CalibrationCache cache;
  auto calibrator = root.find("calibrator");
  if (calibrator == root.end() || !calibrator->is_string()) {
    malformed(path, "missing or non-string \"calibrator\"");
  }
  cache.meta.calibrator = calibrator->get<std::string>();
  cache.meta.percentile = number_field(root, "percentile", path, "");
  auto images = root.find("images");
  if (images == root.end() || !images->is_number_integer() || images->get<int64_t>() < 0) {
    malformed(path, "missing or invalid \"images\"");
  }
  cache.meta.images = images->get<int64_t>();
  auto symmetric = root.find("symmetric");
  if (symmetric != root.end()) {
    if (!symmetric->is_boolean()) malformed(path, "\"symmetric\" must be true or false");
    cache.meta.symmetric = symmetric->get<bool>();
  }
  auto tensors = root.find("tensors");
  if (tensors == root.end() || !tensors->is_object()) {
    malformed(path, "missing \"tensors\" object");
  }
  for (auto it = tensors->begin(); it != tensors->end(); ++it) {
    cache.ranges[it.key()] = parse_range(it.value(), path, it.key());
  }
  return cache;
}

}  // namespace lowp
