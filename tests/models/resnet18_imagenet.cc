#include "tests/models/resnet18_imagenet.h"

#include <cmath>
#include <string>
#include <vector>

#include "tests/onnx_model_builder.h"

namespace lowp::testing {
namespace {

// splitmix64: a fixed integer sequence, identical on every platform.
struct Sequence {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1): 24 random bits scaled by a power of two, exact in float.
  float uniform() {
    const auto bits = static_cast<int32_t>(next() >> 40);  // [0, 2^24)
    return static_cast<float>(bits - (1 << 23)) * (1.f / static_cast<float>(1 << 23));
  }
};

class Resnet18Builder {
 public:
  Resnet18Builder() : model_(make_model(13)) {}

  onnx::ModelProto build() {
    auto* graph = model_.mutable_graph();
    graph->set_name("resnet18_imagenet_arch");
    add_io(graph->add_input(), "input", {-1, 3, 224, 224});
    std::string x = conv("/conv1/Conv", "input", 3, 64, 7, 2, 3, 2.f);
    x = relu("/relu/Relu", x);
    auto* pool =
        add_node(model_, "MaxPool", "/maxpool/MaxPool", {x}, {"/maxpool/MaxPool_output_0"});
    set_ints(pool, "kernel_shape", {3, 3});
    set_ints(pool, "pads", {1, 1, 1, 1});
    set_ints(pool, "strides", {2, 2});
    x = "/maxpool/MaxPool_output_0";
    int64_t channels = 64;
    const int64_t widths[4] = {64, 128, 256, 512};
    for (int layer = 0; layer < 4; ++layer) {
      for (int block = 0; block < 2; ++block) {
        const int64_t stride = layer > 0 && block == 0 ? 2 : 1;
        x = basic_block("/layer" + std::to_string(layer + 1) + "/layer" +
                            std::to_string(layer + 1) + "." + std::to_string(block),
                        x, channels, widths[layer], stride);
        channels = widths[layer];
      }
    }
    add_node(model_, "GlobalAveragePool", "/avgpool/GlobalAveragePool", {x}, {"/avgpool/out"});
    auto* flatten =
        add_node(model_, "Flatten", "/Flatten", {"/avgpool/out"}, {"/Flatten_output_0"});
    auto* axis = flatten->add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto_AttributeType_INT);
    axis->set_i(1);
    initializer("fc.weight", {1000, 512}, 512, 1.f);
    initializer("fc.bias", {1000}, 512, 0.1f);
    auto* gemm = add_node(model_, "Gemm", "/fc/Gemm", {"/Flatten_output_0", "fc.weight", "fc.bias"},
                          {"logits"});
    auto* trans_b = gemm->add_attribute();
    trans_b->set_name("transB");
    trans_b->set_type(onnx::AttributeProto_AttributeType_INT);
    trans_b->set_i(1);
    add_io(graph->add_output(), "logits", {-1, 1000});
    return model_;
  }

 private:
  // Uniform weights of variance gain / fan_in (a = sqrt(3 * gain / fan_in)), stored as raw data.
  void initializer(const std::string& name, std::vector<int64_t> dims, int64_t fan_in, float gain) {
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    const float a = std::sqrt(3.f * gain / static_cast<float>(fan_in));
    std::vector<float> values(static_cast<size_t>(count));
    for (float& v : values) v = a * sequence_.uniform();
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(float));
  }

  std::string conv(const std::string& name, const std::string& in, int64_t cin, int64_t cout,
                   int64_t k, int64_t stride, int64_t pad, float gain) {
    initializer(name + ".weight", {cout, cin, k, k}, cin * k * k, gain);
    initializer(name + ".bias", {cout}, cin * k * k, 0.05f);
    const std::string out = name + "_output_0";
    auto* n = add_node(model_, "Conv", name, {in, name + ".weight", name + ".bias"}, {out});
    set_ints(n, "dilations", {1, 1});
    set_ints(n, "kernel_shape", {k, k});
    set_ints(n, "pads", {pad, pad, pad, pad});
    set_ints(n, "strides", {stride, stride});
    return out;
  }

  std::string relu(const std::string& name, const std::string& in) {
    add_node(model_, "Relu", name, {in}, {name + "_output_0"});
    return name + "_output_0";
  }

  // conv3x3 -> relu -> conv3x3 (+ 1x1 stride-2 downsample of the shortcut) -> add -> relu. The
  // second convolution's gain of 1 (not 2) keeps the residual sum's variance from doubling.
  std::string basic_block(const std::string& prefix, const std::string& in, int64_t cin,
                          int64_t cout, int64_t stride) {
    std::string y = conv(prefix + "/conv1/Conv", in, cin, cout, 3, stride, 1, 2.f);
    y = relu(prefix + "/relu/Relu", y);
    y = conv(prefix + "/conv2/Conv", y, cout, cout, 3, 1, 1, 1.f);
    std::string shortcut = in;
    if (stride != 1 || cin != cout) {
      shortcut = conv(prefix + "/downsample/downsample.0/Conv", in, cin, cout, 1, stride, 0, 1.f);
    }
    add_node(model_, "Add", prefix + "/Add", {y, shortcut}, {prefix + "/Add_output_0"});
    return relu(prefix + "/relu_1/Relu", prefix + "/Add_output_0");
  }

  onnx::ModelProto model_;
  Sequence sequence_{20261203};
};

}  // namespace

onnx::ModelProto resnet18_imagenet_model() { return Resnet18Builder().build(); }

Tensor resnet18_imagenet_input(int64_t batch) {
  Tensor x(DataType::kF32, {batch, 3, 224, 224});
  Sequence noise{7};
  float* p = x.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    // Per image: a block pattern of its own period and a noise amplitude; per channel: an offset
    // and a gradient direction. Values stay within about [-2.2, 2.2], like normalised photos.
    const int64_t period = 8 + 12 * (n % 5);
    const float amplitude = 0.15f + 0.1f * static_cast<float>(n % 4);
    for (int64_t c = 0; c < 3; ++c) {
      const auto offset = static_cast<float>((n * 7 + c * 3) % 9 - 4) * 0.2f;
      const int64_t gx = (n * 3 + c) % 5 - 2, gy = (n + 2 * c) % 5 - 2;
      for (int64_t h = 0; h < 224; ++h) {
        for (int64_t w = 0; w < 224; ++w) {
          const auto ramp = static_cast<float>(gx * (w - 112) + gy * (h - 112)) * (1.f / 448.f);
          const bool block = ((h / period) + (w / period) + c) % 2 == 0;
          *p++ = offset + ramp + (block ? 0.4f : -0.4f) + amplitude * noise.uniform();
        }
      }
    }
  }
  return x;
}

}  // namespace lowp::testing
