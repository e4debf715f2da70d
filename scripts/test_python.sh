#!/usr/bin/env bash
# The Python package's tests: a virtual environment (build/python-venv) with the build tools from
# PyPI (scikit-build-core, nanobind), numpy / pytest and Ray (ray[data,serve], for examples/ray),
# `pip install .` (pyproject.toml: the same CMake project, the library and the lowp._lowp module,
# incremental in build-python), then pytest on python/tests against the `lowp` command
# scripts/build.sh made (bit-for-bit parity) and on a local Ray cluster (test_ray.py).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/python-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "scikit-build-core>=0.10" "nanobind>=2.0" \
  numpy pytest "ray[data,serve]==2.60.*"
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation .
LOWP_CLI="$PWD/build/tools/lowp" "$venv/bin/python" -m pytest -q -W ignore::DeprecationWarning \
  python/tests
