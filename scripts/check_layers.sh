#!/usr/bin/env bash
# Fails when a source file includes a header of a higher layer (docs/DESIGN.md "Layers"), or one
# backend includes another. Layers, lowest first:
#   0 core       core/, include/lowp/ (all public headers but lowp.h): IR, tensors, schemas, shape
#                inference, options, the backend contract, verifier, arena and cache helpers
#   1 reference  reference/: the reference kernels that define each op's semantics
#   1 imaging    imaging/: decoded pixels -> input tensors (resize, crop, normalise); neither it
#                nor reference includes the other
#   2 passes     passes/: graph rewrites and calibration statistics
#   3 backends   backends/cpu/, backends/cuda/ (neither includes the other)
#   4 engine     engine/, include/lowp/lowp.h: Engine, Session, plan file, pipeline, precision
#   5 frontends  frontends/: ONNX import and export
#   6 tools      tools/: file formats and the lowp command
#   7 python     python/: the Python package's bindings (over lowp.h and tools/)
# tests/, bench/, examples/ and fuzz/ may include anything.
#   scripts/check_layers.sh [ROOT]
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"
layer_of() {  # prints "rank name" for a path relative to the root, nothing for unlayered paths
  case "$1" in
    include/lowp/lowp.h) echo "4 engine" ;;
    include/lowp/* | core/*) echo "0 core" ;;
    reference/*) echo "1 reference" ;;
    imaging/*) echo "1 imaging" ;;
    passes/*) echo "2 passes" ;;
    backends/cpu/*) echo "3 backends/cpu" ;;
    backends/cuda/*) echo "3 backends/cuda" ;;
    engine/*) echo "4 engine" ;;
    frontends/*) echo "5 frontends" ;;
    tools/*) echo "6 tools" ;;
    python/*) echo "7 python" ;;
  esac
}
bad=0
checked=0
while IFS= read -r file; do
  read -r rank name <<< "$(layer_of "$file")" || true
  [ -n "${rank:-}" ] || continue
  checked=$((checked + 1))
  while IFS= read -r inc; do
    target=$inc
    case "$inc" in lowp/*) target=include/$inc ;; esac
    read -r trank tname <<< "$(layer_of "$target")" || true
    [ -n "${trank:-}" ] || continue
    if [ "$trank" -gt "$rank" ] || { [ "$trank" -eq "$rank" ] && [ "$tname" != "$name" ]; }; then
      echo "check_layers: $file ($name) includes $inc ($tname): up a layer" >&2
      bad=$((bad + 1))
    fi
    trank=""
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
  rank=""
done < <(find core include reference imaging passes backends engine frontends tools -type f \
           \( -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) 2> /dev/null | sort)
echo "check_layers: $checked files, $bad includes up a layer"
[ "$bad" -eq 0 ]
