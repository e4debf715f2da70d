// Preprocessing presets, their one-line text form (stored in plans) and the sizes they produce.
#include "lowp/preprocessing.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "lowp/error.h"

namespace lowp {
namespace {

constexpr int kMaxSide = 1 << 14;
constexpr std::array<float, 3> kImagenetMean{0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImagenetStd{0.229f, 0.224f, 0.225f};

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw_error(ErrorCode::kInvalidArgument, "preprocessing " + field + ": " + why);
}

const char* resize_name(ResizeKind k) {
  return k == ResizeKind::kNone ? "none" : k == ResizeKind::kShorterSide ? "shorter" : "exact";
}
const char* filter_name(ResizeFilter f) {
  return f == ResizeFilter::kPil ? "pil" : f == ResizeFilter::kAntialias ? "antialias" : "bilinear";
}
const char* color_name(ColorOrder c) {
  return c == ColorOrder::kRgb ? "rgb" : c == ColorOrder::kBgr ? "bgr" : "gray";
}
const char* layout_name(ImageLayout l) { return l == ImageLayout::kNchw ? "nchw" : "nhwc"; }

// Shortest text that reads back as the same float.
std::string float_text(float v) {
  char buf[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return buf;
}

float parse_float(const std::string& field, const std::string& text) {
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    bad(field, "'" + text + "' is not a finite number");
  }
  return v;
}

int parse_int(const std::string& field, const std::string& text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    bad(field, "'" + text + "' is not an integer");
  }
  return v;
}

std::array<float, 3> parse_triple(const std::string& field, const std::string& text) {
  std::array<float, 3> out{};
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  if (parts.size() == 1) parts.assign(3, parts[0]);
  if (parts.size() != 3) bad(field, "'" + text + "' needs 1 or 3 comma-separated numbers");
  for (int c = 0; c < 3; ++c) out[c] = parse_float(field, parts[c]);
  return out;
}

// "HxW" or "N" (N x N).
std::pair<int, int> parse_size(const std::string& field, const std::string& text) {
  const size_t x = text.find('x');
  if (x == std::string::npos) {
    const int n = parse_int(field, text);
    return {n, n};
  }
  return {parse_int(field, text.substr(0, x)), parse_int(field, text.substr(x + 1))};
}

template <typename Enum, size_t N>
Enum parse_enum(const std::string& field, const std::string& text,
                const std::array<Enum, N>& values, const char* (*name)(Enum)) {
  std::string names;
  for (Enum v : values) {
    if (text == name(v)) return v;
    names += std::string(names.empty() ? "" : ", ") + name(v);
  }
  bad(field, "'" + text + "' is not one of " + names);
}

}  // namespace

Preprocessing preprocessing_preset(const std::string& name) {
  Preprocessing p;
  p.preset = name;
  if (name == "torchvision" || name == "imagenet") {
    p.preset = "torchvision";
    p.mean = kImagenetMean;
    p.std = kImagenetStd;
  } else if (name == "inception") {
    p.mean = {0.5f, 0.5f, 0.5f};
    p.std = {0.5f, 0.5f, 0.5f};
  } else if (name == "tf" || name == "tf-lite") {
    p.filter = ResizeFilter::kBilinear;
    p.range = 255.f;
    p.mean.fill(name == "tf" ? 127.5f : 127.f);
    p.std.fill(name == "tf" ? 127.5f : 128.f);
  } else if (name == "caffe") {
    p.filter = ResizeFilter::kBilinear;
    p.range = 255.f;
    p.mean = {103.939f, 116.779f, 123.68f};
    p.color = ColorOrder::kBgr;
  } else if (name == "fashion") {
    p.resize = ResizeKind::kExact;
    p.filter = ResizeFilter::kBilinear;
    p.mean = kImagenetMean;
    p.std = kImagenetStd;
    p.color = ColorOrder::kGray;
  } else if (name == "none") {
    p.resize = ResizeKind::kNone;
  } else {
    std::string names;
    for (const auto& n : preprocessing_preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw_error(ErrorCode::kInvalidArgument,
                "unknown preprocessing preset '" + name + "' (" + names + ")");
  }
  return p;
}

std::vector<std::string> preprocessing_preset_names() {
  return {"torchvision", "imagenet", "inception", "tf", "tf-lite", "caffe", "fashion", "none"};
}

std::string to_string(const Preprocessing& p) {
  std::string s = "preset=" + (p.preset.empty() ? std::string("custom") : p.preset);
  s += std::string(" resize=") + resize_name(p.resize);
  if (p.resize == ResizeKind::kShorterSide) s += ":" + std::to_string(p.resize_height);
  if (p.resize == ResizeKind::kExact) {
    s += ":" + std::to_string(p.resize_height) + "x" + std::to_string(p.resize_width);
  }
  s += " crop_fraction=" + float_text(p.crop_fraction);
  s += std::string(" filter=") + filter_name(p.filter);
  s += " crop=" + std::to_string(p.crop_height) + "x" + std::to_string(p.crop_width);
  s += " range=" + float_text(p.range);
  for (const auto& [key, v] : {std::pair{"mean", &p.mean}, std::pair{"std", &p.std}}) {
    s += std::string(" ") + key + "=" + float_text((*v)[0]) + "," + float_text((*v)[1]) + "," +
         float_text((*v)[2]);
  }
  s += std::string(" color=") + color_name(p.color) + " layout=" + layout_name(p.layout);
  return s;
}

Preprocessing parse_preprocessing(const std::string& text) {
  Preprocessing p;
  std::stringstream in(text);
  for (std::string field; in >> field;) {
    const size_t eq = field.find('=');
    if (eq == std::string::npos) bad(field, "expected key=value");
    const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "preset") {  // a known preset's fields; the fields after it change them
      p = value == "custom" ? Preprocessing{} : preprocessing_preset(value);
      p.preset = value;
    } else if (key == "resize") {
      const std::string kind = value.substr(0, value.find(':'));
      const std::string size =
          value.find(':') == std::string::npos ? "" : value.substr(kind.size() + 1);
      p.resize = parse_enum<ResizeKind, 3>(
          key, kind, {ResizeKind::kNone, ResizeKind::kShorterSide, ResizeKind::kExact},
          resize_name);
      if (p.resize == ResizeKind::kShorterSide) p.resize_height = parse_int(key, size);
      if (p.resize == ResizeKind::kExact)
        std::tie(p.resize_height, p.resize_width) = parse_size(key, size);
    } else if (key == "crop_fraction") {
      p.crop_fraction = parse_float(key, value);
    } else if (key == "filter") {
      p.filter = parse_enum<ResizeFilter, 3>(
          key, value, {ResizeFilter::kPil, ResizeFilter::kAntialias, ResizeFilter::kBilinear},
          filter_name);
    } else if (key == "crop") {
      std::tie(p.crop_height, p.crop_width) = parse_size(key, value);
    } else if (key == "range") {
      p.range = parse_float(key, value);
    } else if (key == "mean" || key == "std") {
      (key == "mean" ? p.mean : p.std) = parse_triple(key, value);
    } else if (key == "color") {
      p.color = parse_enum<ColorOrder, 3>(
          key, value, {ColorOrder::kRgb, ColorOrder::kBgr, ColorOrder::kGray}, color_name);
    } else if (key == "layout") {
      p.layout = parse_enum<ImageLayout, 2>(key, value, {ImageLayout::kNchw, ImageLayout::kNhwc},
                                            layout_name);
    } else {
      bad(key, "unknown field");
    }
  }
  validate(p);
  return p;
}

void validate(const Preprocessing& p) {
  for (const auto& [name, v] :
       {std::pair{"resize height", p.resize_height}, std::pair{"resize width", p.resize_width},
        std::pair{"crop height", p.crop_height}, std::pair{"crop width", p.crop_width}}) {
    if (v < 0 || v > kMaxSide) {
      bad(name, std::to_string(v) + " is outside 0.." + std::to_string(kMaxSide));
    }
  }
  if (!(p.crop_fraction > 0.f && p.crop_fraction <= 1.f)) {
    bad("crop_fraction", float_text(p.crop_fraction) + " is outside (0, 1]");
  }
  if (!(p.range >= 1.f && p.range <= 255.f))
    bad("range", float_text(p.range) + " is outside 1..255");
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(p.mean[c])) bad("mean", "not finite");
    if (!std::isfinite(p.std[c]) || p.std[c] == 0.f) bad("std", "must be finite and not 0");
  }
}

PreprocessedShape preprocessed_shape(const Preprocessing& p, const Dims& dims) {
  if (dims.size() != 4) {
    bad("input", "the model's input has rank " + std::to_string(dims.size()) +
                     "; image preprocessing makes a rank-4 tensor (batch, and " +
                     layout_name(p.layout) + ")");
  }
  const bool nchw = p.layout == ImageLayout::kNchw;
  const int64_t c = nchw ? dims[1] : dims[3], h = nchw ? dims[2] : dims[1],
                w = nchw ? dims[3] : dims[2];
  if (c != 1 && c != 3) {
    const int64_t other = nchw ? dims[3] : dims[1];
    bad("layout", std::string("the model's input has ") + std::to_string(c) + " channels in " +
                      layout_name(p.layout) + " layout (1 or 3 expected)" +
                      (other == 3 ? std::string("; try layout ") + (nchw ? "nhwc" : "nchw") : ""));
  }
  if (c == 1 && p.color != ColorOrder::kGray) {
    bad("color", "the model takes 1 channel: use gray");
  }
  PreprocessedShape s{static_cast<int>(c), p.crop_height, p.crop_width};
  for (auto [crop, model, name] :
       {std::tuple{&s.height, h, "height"}, std::tuple{&s.width, w, "width"}}) {
    if (*crop == 0 && model <= 0) {
      bad("crop", std::string("the model's input ") + name + " is not fixed: give the crop size");
    }
    if (*crop == 0) *crop = static_cast<int>(std::min<int64_t>(model, kMaxSide + 1));
    if (model > 0 && *crop != model) {
      bad("crop", std::string("a crop ") + name + " of " + std::to_string(*crop) +
                      " does not fit the model's input " + name + " " + std::to_string(model));
    }
    if (*crop > kMaxSide) bad("crop", std::string(name) + " over " + std::to_string(kMaxSide));
  }
  return s;
}

}  // namespace lowp
