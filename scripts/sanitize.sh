#!/usr/bin/env bash
# The unit tests under sanitizers, CPU only (no CUDA backend), each in a build folder of its own:
#   scripts/sanitize.sh address   ASan + UBSan (build-asan/), every test but those listed below
#                                 (they run unsanitized in scripts/test.sh)
#   scripts/sanitize.sh thread    TSan (build-tsan/): the concurrency and engine API tests
# Any report fails the run (halt_on_error; UBSan does not recover).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-address}
scripts/setup.sh
case "$kind" in
  address) dir=build-asan flags="address,undefined"
    export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    # Left out: the long accuracy and speed tests, and the two kinds ASan itself defeats: address
    # space limits (ResourceLimits: ASan reserves terabytes of shadow memory) and resident-memory
    # bounds (KeepMemoryFlat: ASan's quarantine holds freed memory).
    select=(-E "Accuracy|Speed|TestSet|ResourceLimits|KeepMemoryFlat") ;;
  thread) dir=build-tsan flags="thread"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp"
    export OMP_NUM_THREADS=1  # libgomp is not instrumented: its own synchronisation is invisible
    # Resident-memory bounds do not hold under TSan's shadow memory: left out.
    select=(-R "Concurrency|EngineApi|ProgramCache" -E "KeepMemoryFlat") ;;
  *) echo "usage: scripts/sanitize.sh address|thread" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOWP_WERROR=ON -DLOWP_CUDA=OFF \
  -DLOWP_BUILD_BENCH=OFF -DLOWP_SANITIZE="$flags" > /dev/null
targets=()
[ "$kind" = thread ] && targets=(--target concurrency_test engine_api_test program_cache_test)
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
ctest --test-dir "$dir" -j"$(nproc)" --output-on-failure --timeout 1800 "${select[@]}"
