#!/usr/bin/env bash
# The libFuzzer targets (fuzz/) under ASan + UBSan, built with clang in build-fuzz/ (CPU only):
#   scripts/fuzz.sh [RUNS]    each target for RUNS mutated inputs after its seeds (default 2000)
# Seeds: fuzz/seeds/<target>/ (hand-made, fuzz/make_seeds.py), the repo's small ONNX models
# (tests/data), ONNX's node-test models (Debian's libonnx-testdata), and plans and calibration
# caches that `lowp compile` writes from them. Each input gets a memory and a time limit; a crash,
# a sanitizer report, a leak, an escaping exception, a timeout or an allocation past the limit is
# written to fuzz/regressions/<target>/ (commit it with the fix: tests/fuzz_regression_test.cc
# replays that folder in every test run) and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2000}
scripts/setup.sh
seconds() { date +%s; }
t0=$(seconds)
gomp=$(g++ -print-file-name=libgomp.so)
# Debian's oneDNN runs on libgomp: clang compiles against it too (-fopenmp=libgomp), so the
# process holds one OpenMP runtime.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOWP_WERROR=ON -DLOWP_CUDA=OFF -DLOWP_BUILD_TESTS=OFF \
  -DLOWP_BUILD_BENCH=OFF -DLOWP_FUZZ=ON -DLOWP_SANITIZE="address,undefined" \
  -DOpenMP_CXX_FLAGS=-fopenmp=libgomp -DOpenMP_CXX_LIB_NAMES=gomp -DOpenMP_gomp_LIBRARY="$gomp" \
  > /dev/null
targets=(onnx_model plan npy idx image calibration_cache)
cmake --build build-fuzz -j"$(nproc)" --target lowp_cli "${targets[@]/#/fuzz_}"
t1=$(seconds)

# Seeds gathered at run time (build-fuzz/seeds/<target>/).
seeds=build-fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds"
for t in "${targets[@]}"; do
  mkdir -p "$seeds/$t"
  [ -d "fuzz/seeds/$t" ] && cp fuzz/seeds/"$t"/* "$seeds/$t/"
done
find tests/data -name '*.onnx' -size -256k -exec cp {} "$seeds/onnx_model/" \;
for dir in /usr/share/libonnx-testdata/data/node/*/; do
  cp "$dir/model.onnx" "$seeds/onnx_model/node_$(basename "$dir").onnx"
done
export ASAN_OPTIONS=detect_leaks=0  # the CLI writing seeds below is not under test
lowp=build-fuzz/tools/lowp
n=0
for model in fuzz/seeds/onnx_model/*.onnx tests/data/torchvision/*op13*.onnx; do
  [ -f "$model" ] || continue
  stem=$(basename "$model" .onnx)
  for precision in fp32 bf16 int8; do
    $lowp compile "$model" -o "$seeds/plan/${stem}_$precision.plan" --precision "$precision" \
      --calib random --calib-count 2 --calib-cache "$seeds/calibration_cache/${stem}.json" \
      --threads 1 > /dev/null 2>&1 && n=$((n + 1)) || true
  done
  # A plan that stores a preprocessing line (format v4) for the mutator to reach.
  $lowp compile "$model" -o "$seeds/plan/${stem}_preprocess.plan" --preprocess caffe \
    --threads 1 > /dev/null 2>&1 && n=$((n + 1)) || true
done
echo "fuzz: $n plans compiled as seeds; seeds per target:"
for t in "${targets[@]}"; do echo "  $t: $(ls "$seeds/$t" | wc -l)"; done
t2=$(seconds)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  rm -rf "$corpus" && mkdir -p "$corpus" "fuzz/regressions/$t"
  max_len=65536
  [ "$t" = onnx_model ] || [ "$t" = plan ] && max_len=262144
  start=$(seconds)
  if ! build-fuzz/fuzz/fuzz_"$t" -runs="$runs" -seed=1 -max_len=$max_len -rss_limit_mb=3072 \
      -malloc_limit_mb=2048 -timeout=60 -print_final_stats=1 \
      -artifact_prefix="fuzz/regressions/$t/" "$corpus" "$seeds/$t" > "build-fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED (input saved under fuzz/regressions/$t/); log: build-fuzz/$t.log"
    grep -m 30 -E "ERROR|SUMMARY|#0|#1 |#2 |#3 |#4 |what\(\)" "build-fuzz/$t.log" || true
    status=1
  fi
  stats=$(grep -E "stat::number_of_executed_units" "build-fuzz/$t.log" | tail -1 | awk "{print \$2}")
  echo "fuzz: $t: ${stats:-?} inputs in $(($(seconds) - start)) s"
done
echo "fuzz: build $((t1 - t0)) s, seeds $((t2 - t1)) s, fuzzing $(($(seconds) - t2)) s"
exit $status
