#!/usr/bin/env bash
# Create .venv with exactly the versions in requirements.lock (hashes checked), then the project itself
# without dependencies. When the lock changed since .venv was built, .venv is built again from scratch, so it
# never keeps a package the lock no longer lists. Idempotent. `make lock` updates the lock.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
LOCK=requirements.lock
say() { echo "[ensure-venv] $*" >&2; }
cd "$ROOT"
if ! command -v "$PY" >/dev/null; then
  say "Python 3.11+ is required; on Debian: sudo apt-get install python3 python3-venv"; exit 1
fi
want=$(sha256sum "$LOCK" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat .venv/.lock-sha256 2>/dev/null)" != "$want" ]; then
  say "$LOCK differs from the one .venv was built from: building .venv again"
  rm -rf .venv
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
PIP=(.venv/bin/python -m pip -q --disable-pip-version-check)
say "installing the locked dependencies ($LOCK) and the project into .venv ..."
"${PIP[@]}" install --upgrade pip >&2
"${PIP[@]}" install --require-hashes -r "$LOCK" >&2
"${PIP[@]}" install --no-deps -e . >&2
if ! "${PIP[@]}" check >&2; then
  say "$LOCK does not satisfy pyproject.toml (a dependency was added or its range changed): run make lock"
  exit 1
fi
echo "$want" > .venv/.lock-sha256
