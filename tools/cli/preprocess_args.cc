#include "tools/cli/preprocess_args.h"

#include <CLI/CLI.hpp>

#include "lowp/error.h"

namespace lowp::cli {
namespace {

std::optional<Preprocessing> guess(const Dims& dims) {
  const bool square3 = dims.size() == 4 && dims[1] == 3 && dims[2] == dims[3];
  if (square3 && dims[2] == 64) return preprocessing_preset("fashion");
  if (square3 && dims[2] == 224) return preprocessing_preset("torchvision");
  return std::nullopt;
}

// The fields the flags set, in parse_preprocessing's text form (later fields win).
std::string overrides(const PreprocessArgs& a) {
  std::string s;
  if (!a.resize.empty()) {
    const bool exact = a.resize.find('x') != std::string::npos;
    s += a.resize == "none" ? " resize=none"
                            : std::string(" resize=") + (exact ? "exact:" : "shorter:") + a.resize;
  }
  if (!a.crop.empty()) s += " crop=" + a.crop;
  if (!a.filter.empty()) s += " filter=" + a.filter;
  if (!a.mean.empty()) s += " mean=" + a.mean;
  if (!a.std.empty()) s += " std=" + a.std;
  if (!a.scale.empty()) s += " range=" + a.scale;
  if (!a.layout.empty()) s += " layout=" + a.layout;
  if (a.bgr) s += " color=bgr";
  if (a.gray) s += " color=gray";
  return s;
}

}  // namespace

bool PreprocessArgs::given() const { return !preset.empty() || !overrides(*this).empty(); }

void add_preprocess_options(CLI::App* cmd, PreprocessArgs& a) {
  std::string presets;
  for (const auto& n : preprocessing_preset_names()) presets += (presets.empty() ? "" : ", ") + n;
  cmd->add_option("--preprocess", a.preset,
                  "Image preprocessing preset: " + presets +
                      " (default: the plan's, else guessed from a 64 or 224 px input)")
      ->group("Image preprocessing");
  const std::pair<const char*, std::string*> fields[] = {
      {"--resize", &a.resize}, {"--crop", &a.crop}, {"--resize-filter", &a.filter},
      {"--mean", &a.mean},     {"--std", &a.std},   {"--scale", &a.scale},
      {"--layout", &a.layout}};
  const char* help[] = {"N: shorter side to N; HxW: exact size; none",
                        "Centre crop N or HxW (default: the model's input size)",
                        "pil, antialias or bilinear",
                        "Per-channel mean, in the model's channel order (a or a,b,c)",
                        "Per-channel std (a or a,b,c)",
                        "Pixel range before mean/std: 1 (0..1) or 255 (0..255)",
                        "nchw or nhwc"};
  for (size_t i = 0; i < std::size(fields); ++i) {
    cmd->add_option(fields[i].first, *fields[i].second, help[i])->group("Image preprocessing");
  }
  cmd->add_flag("--bgr", a.bgr, "Channels in BGR order")->group("Image preprocessing");
  cmd->add_flag("--gray", a.gray, "Greyscale, copied to every channel")
      ->group("Image preprocessing");
}

std::optional<Preprocessing> resolve_preprocessing(const PreprocessArgs& args,
                                                   const std::optional<Preprocessing>& stored,
                                                   const Dims& input_dims, bool* guessed) {
  if (guessed) *guessed = false;
  std::optional<Preprocessing> base;
  if (!args.preset.empty()) {
    base = preprocessing_preset(args.preset);
  } else if (stored) {
    base = stored;
  } else {
    base = guess(input_dims);
    if (base && guessed) *guessed = true;
  }
  const std::string fields = overrides(args);
  if (fields.empty()) return base;
  if (!base) {
    throw_error(ErrorCode::kInvalidArgument,
                "preprocessing flags need a preset to change: give --preprocess PRESET");
  }
  return parse_preprocessing(to_string(*base) + fields);
}

}  // namespace lowp::cli
