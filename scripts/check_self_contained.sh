#!/usr/bin/env bash
# Fails when a tracked file refers to a folder beside the clone (a user's clone has nothing there):
# the shared folder one level up, as a path or joined in code (see `pattern`).
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='\.\.(/|["'"'"'] *, *["'"'"'])shared'
if hits=$(git grep -nIE "$pattern" -- .); then
  echo "check_self_contained: tracked files refer to a folder outside the repository:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check_self_contained: no tracked file refers to a folder beside the clone"
