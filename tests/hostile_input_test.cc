// Corrupt and hostile files never crash lowp: thousands of deterministic byte mutations of a valid
// ONNX model and of a valid plan either load (and then run or fail cleanly) or throw lowp::Error.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;
namespace fs = std::filesystem;

namespace {

std::string mutate(const std::string& bytes, std::mt19937& rng) {
  std::string m = bytes;
  std::uniform_int_distribution<int> kind(0, 3);
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !m.empty(); ++e) {
    std::uniform_int_distribution<size_t> pos(0, m.size() - 1);
    switch (kind(rng)) {
      case 0:
        m[pos(rng)] = static_cast<char>(rng());
        break;  // flip a byte
      case 1:
        m.resize(pos(rng));
        break;  // truncate
      case 2:
        m.insert(pos(rng), 1 + rng() % 8, static_cast<char>(rng()));
        break;  // insert
      default:
        m[pos(rng)] = static_cast<char>(0xff);
        break;  // large varints
    }
  }
  return m;
}

// Loads with `load`, and if that works, runs batch 1 once: only lowp::Error may escape.
void load_and_maybe_run(const std::function<std::shared_ptr<const Engine>()>& load) {
  const char* stage = "load";
  try {
    auto engine = load();
    if (engine->inputs().empty()) return;
    Dims dims = engine->inputs().at(0).dims;
    for (auto& d : dims) d = d < 0 ? 1 : d;
    if (dims.size() > 8 || element_count(dims) > (1 << 20)) return;
    stage = "input";
    Tensor x(engine->inputs()[0].dtype, dims);
    stage = "session";
    auto session = engine->create_session();
    stage = "run";
    session->run({{engine->inputs()[0].name, x}});
  } catch (const std::bad_alloc&) {
    ADD_FAILURE() << "std::bad_alloc escaped at stage " << stage;
  } catch (const Error&) {
    // A clear error is the expected outcome for most mutations.
  }
}

}  // namespace

TEST(HostileInput, MutatedOnnxModelsNeverCrash) {
  fs::path dir = fs::temp_directory_path() / "lowp_hostile_onnx";
  fs::create_directories(dir);
  std::string good;
  small_conv_model().SerializeToString(&good);
  std::mt19937 rng(1234);
  std::string path = (dir / "m.onnx").string();
  for (int i = 0; i < 1500; ++i) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutate(good, rng);
    load_and_maybe_run([&] { return Engine::compile_onnx(path); });
  }
}

TEST(HostileInput, MutatedPlansNeverCrash) {
  fs::path dir = fs::temp_directory_path() / "lowp_hostile_plan";
  fs::create_directories(dir);
  std::string onnx = (dir / "m.onnx").string();
  save_model(small_conv_model(), onnx);
  std::string plan = (dir / "good.plan").string();
  Engine::compile_onnx(onnx)->save_plan(plan);
  std::ifstream in(plan, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), {});
  std::mt19937 rng(99);
  std::string path = (dir / "m.plan").string();
  for (int i = 0; i < 1500; ++i) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutate(good, rng);
    load_and_maybe_run([&] { return Engine::load_plan(path); });
  }
}

// Past the checksum: payload bytes flipped in place and the checksum recomputed, so the parser
// itself meets the garbage (counts, indices, dtypes, dims).
TEST(HostileInput, MutatedPlanPayloadsWithValidChecksumNeverCrash) {
  fs::path dir = fs::temp_directory_path() / "lowp_hostile_payload";
  fs::create_directories(dir);
  std::string onnx = (dir / "m.onnx").string();
  save_model(small_conv_model(), onnx);
  std::string plan = (dir / "good.plan").string();
  Engine::compile_onnx(onnx)->save_plan(plan);
  std::ifstream in(plan, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(good.size(), 64u);
  std::mt19937 rng(7);
  std::string path = (dir / "m.plan").string();
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string m = good;
    std::uniform_int_distribution<size_t> pos(64, m.size() - 1);
    for (int e = 0; e < 1 + static_cast<int>(rng() % 3); ++e)
      m[pos(rng)] = static_cast<char>(rng());
    uint64_t sum = XXH3_64bits(m.data() + 64, m.size() - 64);
    std::memcpy(m.data() + 24, &sum, 8);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << m;
    load_and_maybe_run([&] {
      auto e = Engine::load_plan(path);
      ++loaded;
      return e;
    });
  }
  std::cout << loaded << " of 3000 mutated plans parsed (the rest were refused cleanly)\n";
}
