#!/usr/bin/env bash
# Create .venv and install the project with its development extras. Idempotent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
say() { echo "[ensure-venv] $*" >&2; }
cd "$ROOT"
if ! command -v "$PY" >/dev/null; then
  say "Python 3.11+ is required; on Debian: sudo apt-get install python3 python3-venv"; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment .venv"
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2
      "$PY" -m venv .venv
    else
      say "python3 cannot create a virtual environment; please run: sudo apt-get install python3-venv"; exit 1
    fi
  fi
fi
say "installing the project and its dependencies into .venv ..."
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >&2
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' >&2
