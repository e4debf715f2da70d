// `lowp compile --preprocess` stores the preprocessing in the plan; `inspect` shows it; `run` on
// the plan reads images with it and no flags; the flags refuse what does not fit, naming it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/test_util.h"

namespace lowp {
namespace {

using testing::lowp_command;

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::path(LOWP_BINARY_DIR) / "cli_preprocess_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

const std::string& fashion_model() {
  static const std::string path = testing::source_dir() + "/models/resnet18_fashion.onnx";
  return path;
}

std::string sample(const char* name) {
  return testing::source_dir() + "/models/fashion_samples/" + name;
}

// The top-k JSON of `lowp run ... --json`.
nlohmann::json run_json(const std::string& arguments) {
  const testing::CommandResult r = lowp_command("run " + arguments + " --json");
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output.substr(r.output.find('{')));
}

TEST(CliPreprocess, CompileStoresItAndRunUsesIt) {
  const std::string plan = temp_path("tf.plan");
  const std::string flags = " --preprocess tf --mean 100 --resize 70x70";
  const testing::CommandResult c =
      lowp_command("compile " + fashion_model() + " -o " + plan + flags);
  ASSERT_EQ(c.status, 0) << c.output;
  const testing::CommandResult i = lowp_command("inspect " + plan);
  EXPECT_NE(i.output.find("preprocessing: preset=tf resize=exact:70x70"), std::string::npos)
      << i.output;
  EXPECT_NE(i.output.find("mean=100,100,100 std=127.5,127.5,127.5"), std::string::npos) << i.output;
  // The plan alone reads the image as the flags said; without them the ONNX model guesses
  // (fashion, from its 64x64 input) and says so.
  const nlohmann::json from_plan = run_json(plan + " --image " + sample("02_trouser.png"));
  const nlohmann::json from_flags =
      run_json(fashion_model() + " --image " + sample("02_trouser.png") + flags);
  EXPECT_EQ(from_plan["items"], from_flags["items"]);
  const testing::CommandResult guessed =
      lowp_command("run " + fashion_model() + " --image " + sample("02_trouser.png"));
  EXPECT_NE(guessed.output.find("preprocessing fashion, guessed from the input dims"),
            std::string::npos)
      << guessed.output;
  EXPECT_NE(guessed.output.find("Trouser"), std::string::npos) << guessed.output;
  EXPECT_NE(run_json(fashion_model() + " --image " + sample("02_trouser.png"))["items"],
            from_plan["items"]);
  // A flag on top of the plan's preprocessing changes only that field.
  const nlohmann::json std_changed =
      run_json(plan + " --image " + sample("02_trouser.png") + " --std 60");
  const nlohmann::json std_flags =
      run_json(fashion_model() + " --image " + sample("02_trouser.png") + flags + " --std 60");
  EXPECT_EQ(std_changed["items"], std_flags["items"]);
}

TEST(CliPreprocess, FlagsThatDoNotFitAreRefused) {
  const struct {
    std::string flags;
    std::string says;
  } cases[] = {
      {"--preprocess cifar", "unknown preprocessing preset 'cifar'"},
      {"--preprocess torchvision --mean 1,2", "mean: '1,2' needs 1 or 3"},
      {"--preprocess torchvision --layout nhwc", "64 channels in nhwc layout"},
      {"--preprocess torchvision --crop 60", "a crop height of 60 does not fit"},
      {"--preprocess torchvision --scale 1000", "range: 1000 is outside 1..255"},
      {"--preprocess torchvision --resize-filter cubic", "filter: 'cubic' is not one of"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.flags);
    const testing::CommandResult r =
        lowp_command("compile " + fashion_model() + " -o " + temp_path("bad.plan") + " " + c.flags);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace lowp
