// `lowp compile --precision int8 --max-accuracy-drop P --validation DATA` run as a user runs it, on
// the Fashion-MNIST ResNet-18: with random calibration data (poor scales) int8 misses a budget of
// 0 points of agreement, so the command ranks the int8 layers by sensitivity, moves the most
// sensitive out of int8 until it holds, prints what it kept and the speed cost, and writes a plan
// that runs. Same data, same plan. Wrong combinations are refused naming the flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/test_util.h"
#include "tools/cli/accuracy_budget.h"
#include "tools/io/idx.h"
#include "tools/io/npy.h"

namespace lowp {
namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::path(LOWP_BINARY_DIR) / "cli_accuracy_budget_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::string model() { return testing::source_dir() + "/models/resnet18_fashion.onnx"; }

// The first 32 Fashion-MNIST test images, preprocessed, without labels: the budget measures
// agreement with fp32.
std::string validation_npy() {
  const std::string path = temp_path("validation.npy");
  const io::IdxImages test =
      io::read_idx_images(std::string(LOWP_FASHION_MNIST) + "/t10k-images-idx3-ubyte.gz");
  io::write_npy(path, testing::fashion_batch(test, 0, 32));
  return path;
}

std::string budget_command(const std::string& plan, const std::string& validation) {
  return "compile " + model() + " -o " + plan +
         " --precision int8 --calib random --calib-count 16 --max-accuracy-drop 0 --validation " +
         validation;
}

}  // namespace

TEST(CliAccuracyBudget, MovesTheMostSensitiveLayersOutOfInt8UntilTheBudgetHolds) {
  const std::string validation = validation_npy();
  const std::string plan = temp_path("budget.plan");
  const testing::CommandResult r = testing::lowp_command(budget_command(plan, validation));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("agreement with fp32 on 32 validation images"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("accuracy budget: agreement drop 0.00 points"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(": met)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("most sensitive first"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("speed, batch 1 median: fp32"), std::string::npos) << r.output;
  const testing::CommandResult run = testing::lowp_command("run " + plan + " " + validation);
  EXPECT_EQ(run.status, 0) << run.output;

  // Deterministic: the same command keeps the same layers.
  auto kept = [](const std::string& out) { return out.substr(out.find("most sensitive first")); };
  const testing::CommandResult again =
      testing::lowp_command(budget_command(temp_path("again.plan"), validation));
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(kept(again.output).substr(0, kept(again.output).find("speed")),
            kept(r.output).substr(0, kept(r.output).find("speed")));
}

// `lowp compare --per-layer` shows the ranking the budget uses: same data and calibration, same
// order.
TEST(CliAccuracyBudget, CompareShowsTheSameRanking) {
  const std::string validation = validation_npy();
  const testing::CommandResult budget =
      testing::lowp_command(budget_command(temp_path("json.plan"), validation) + " --json");
  ASSERT_EQ(budget.status, 0) << budget.output;
  const testing::CommandResult compare = testing::lowp_command(
      "compare " + model() + " --precisions fp32,int8 --input input=" + validation +
      " --calib random --calib-count 16 --per-layer --json");
  ASSERT_EQ(compare.status, 0) << compare.output;
  auto json_line = [](const std::string& out, const std::string& key) {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("{", 0) == 0 && line.find(key) != std::string::npos)
        return nlohmann::json::parse(line);
    }
    return nlohmann::json();
  };
  const auto ranking = json_line(budget.output, "accuracy_budget")["accuracy_budget"]["ranking"];
  const auto sensitivity = json_line(compare.output, "sensitivity")["sensitivity"];
  ASSERT_GT(ranking.size(), 3u) << budget.output;
  ASSERT_EQ(sensitivity.size(), ranking.size()) << compare.output;
  for (size_t i = 0; i < ranking.size(); ++i) {
    EXPECT_EQ(sensitivity[i]["node"], ranking[i]["node"]) << i;
    EXPECT_DOUBLE_EQ(sensitivity[i]["error"].get<double>(), ranking[i]["error"].get<double>());
  }
}

// bf16 has a budget too, and `compare --per-layer` ranks bf16 layers the same way (each alone in
// bf16, most sensitive first).
TEST(CliAccuracyBudget, Bf16HasABudgetAndARanking) {
  const std::string validation = validation_npy();
  const testing::CommandResult budget =
      testing::lowp_command("compile " + model() + " -o " + temp_path("bf16.plan") +
                            " --precision bf16 --max-accuracy-drop 0 --validation " + validation);
  ASSERT_EQ(budget.status, 0) << budget.output;
  EXPECT_NE(budget.output.find("(bf16 alone "), std::string::npos) << budget.output;
  EXPECT_NE(budget.output.find(": met)"), std::string::npos) << budget.output;
  const testing::CommandResult compare = testing::lowp_command(
      "compare " + model() + " --precisions fp32,bf16 --input input=" + validation +
      " --per-layer --json");
  ASSERT_EQ(compare.status, 0) << compare.output;
  nlohmann::json sensitivity;
  std::istringstream lines(compare.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{", 0) == 0 && line.find("sensitivity") != std::string::npos)
      sensitivity = nlohmann::json::parse(line)["sensitivity"];
  }
  ASSERT_EQ(sensitivity.size(), 21u) << compare.output;  // 20 Conv + 1 Gemm
  for (size_t i = 0; i < sensitivity.size(); ++i) {
    EXPECT_GT(sensitivity[i]["error"].get<double>(), 0.0) << i;
    if (i > 0) {
      EXPECT_LE(sensitivity[i]["error"], sensitivity[i - 1]["error"]) << i;
    }
  }
}

// 2 photos of 400 is a drop of 0.5 points, which a budget of 0.5 allows, although 100 (1 - 398 /
// 400) is 0.5000000000000004 in double (the budget used to keep one more layer than it needed).
TEST(CliAccuracyBudget, ADropEqualToTheBudgetMeetsIt) {
  EXPECT_TRUE(cli::within(100.0 * (1.0 - 398.0 / 400.0), 0.5));
  EXPECT_FALSE(cli::within(100.0 * (1.0 - 397.0 / 400.0), 0.5));
  EXPECT_TRUE(cli::within(0.0, 0.0));
}

TEST(CliAccuracyBudget, WrongCombinationsAreRefused) {
  const std::string plan = temp_path("refused.plan");
  struct Case {
    std::string flags;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"--precision int8 --calib random --max-accuracy-drop 1", "--validation"},
      {"--precision fp32 --max-accuracy-drop 1 --validation x.npy", "--precision int8 or bf16"},
      {"--precision fp16 --max-accuracy-drop 1 --validation x.npy", "--precision int8 or bf16"},
      {"--precision int8 --max-accuracy-drop 1 --validation x.npy", "--calib"},
      {"--precision int8 --calib random --validation x.npy", "--max-accuracy-drop"},
      {"--precision int8 --calib random --max-accuracy-drop 1 --validation /no/such.npy",
       "/no/such.npy"},
  };
  for (const Case& c : cases) {
    const testing::CommandResult r =
        testing::lowp_command("compile " + model() + " -o " + plan + " " + c.flags);
    EXPECT_NE(r.status, 0) << c.flags;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.flags << ":\n" << r.output;
  }
}

}  // namespace lowp
