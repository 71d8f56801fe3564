#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser tests (Playwright drives it directly through its
# executablePath; no chromedriver is needed). Idempotent.
set -euo pipefail
say() { echo "[ensure-chromium] $*" >&2; }
if command -v chromium >/dev/null; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  say "the browser tests need Chromium; install it with your package manager (package 'chromium')"; exit 1
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo);
  else say "please run: sudo apt-get update && sudo apt-get install -y chromium"; exit 1; fi
fi
say "installing Debian's chromium ..."
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y -q chromium >&2; then
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q chromium >&2
fi
