#include "tools/cli/dataset_run.h"

#include <algorithm>
#include <chrono>

#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"

namespace lowp::cli {

Tensor run_set(const Engine& engine, const LabelledSet& set, int batch, double* median_ms,
               int64_t limit) {
  auto session = engine.create_session();
  const TensorDesc& in = engine.inputs().at(0);
  const int64_t all = static_cast<int64_t>(set.images.size());
  const int64_t n = limit > 0 ? std::min(limit, all) : all;
  const int64_t per_image = set.images[0].numel();
  Tensor logits;
  std::vector<double> times;
  for (int64_t start = 0; start < n; start += batch) {
    int64_t b = std::min<int64_t>(batch, n - start);
    Dims dims = set.images[0].dims();
    dims[0] = b;
    Tensor x(DataType::kF32, dims);
    for (int64_t i = 0; i < b; ++i) {
      std::copy_n(set.images[static_cast<size_t>(start + i)].data<float>(), per_image,
                  x.data<float>() + i * per_image);
    }
    if (in.dtype != DataType::kF32) x = x.cast(in.dtype);  // fp16 plans take fp16 inputs
    if (start == 0) session->run({{in.name, x}});  // warm-up: primitives are created on first use
    const int repeats = n == 1 ? 10 : 1;
    std::vector<Tensor> out;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      out = session->run({{in.name, x}});
      times.push_back(elapsed_ms(t0));
    }
    Tensor y = out.at(0).cast(DataType::kF32);
    if (y.rank() != 2) throw UsageError("compare needs a model with a [batch, classes] output");
    if (logits.dims().empty()) logits = Tensor(DataType::kF32, {n, y.dims()[1]});
    std::copy_n(y.data<float>(), y.numel(), logits.data<float>() + start * y.dims()[1]);
  }
  std::sort(times.begin(), times.end());
  if (median_ms) *median_ms = times[times.size() / 2];
  return logits;
}

}  // namespace lowp::cli
