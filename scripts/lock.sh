#!/usr/bin/env bash
# Update requirements.lock, the exact versions (with hashes) that `make run` and `make test` install,
# from the ranges in pyproject.toml (the project's dependencies and its dev extra). Pins already in the lock
# are kept while they satisfy pyproject.toml; pass --upgrade (all) or --upgrade-package NAME (one) to move.
# pip-tools runs from its own small environment (.venv-lock), so it never enters the locked set.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
TOOLS=.venv-lock
say() { echo "[lock] $*" >&2; }
cd "$ROOT"
if [ ! -x "$TOOLS/bin/pip-compile" ]; then
  say "installing pip-tools into $TOOLS"
  "$PY" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check 'pip-tools==7.6.2' >&2
fi
say "resolving pyproject.toml (with the dev extra) into requirements.lock ..."
CUSTOM_COMPILE_COMMAND="make lock" "$TOOLS/bin/pip-compile" --quiet --generate-hashes --extra dev \
  --strip-extras --no-emit-index-url --no-emit-find-links --output-file requirements.lock "$@" pyproject.toml
say "done; the next make run / make test rebuilds .venv from it"
