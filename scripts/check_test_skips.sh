#!/usr/bin/env bash
# After ctest: fails when a test skipped for any reason but a missing GPU. Every test must run on
# every machine; the one allowed skip is a GPU test's "CUDA: <why no usable device>".
#   scripts/check_test_skips.sh [BUILD_DIR]   (reads BUILD_DIR/Testing/Temporary/LastTest.log)
set -euo pipefail
log=${1:-build}/Testing/Temporary/LastTest.log
[ -f "$log" ] || { echo "check_test_skips: no $log (run ctest first)" >&2; exit 1; }
gpu='CUDA: (no usable CUDA device|no CUDA device present|this build of lowp has no CUDA backend)'
awk -v gpu="$gpu" '
  /^[0-9]+\/[0-9]+ Testing: / { name = $3; gpu_reason = 0; next }
  $0 ~ gpu { gpu_reason = 1 }
  /^Skip regular expression found in output/ {
    skipped++
    if (!gpu_reason) { bad++; print "check_test_skips: " name " skipped, not for a missing GPU" }
  }
  END {
    printf "check_test_skips: %d skipped (GPU only), %d skipped for another reason\n",
           skipped - bad, bad
    exit bad > 0
  }' "$log"
