#!/usr/bin/env bash
# Make sure Debian's chromium (and chromedriver) are installed for the browser tests. Idempotent.
set -euo pipefail
say() { echo "[ensure-chromium] $*" >&2; }
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  say "the browser tests need Chromium; install it with your package manager (e.g. 'chromium')"; exit 1
fi
cmd=(apt-get install -y -q chromium chromium-driver)
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then cmd=(sudo "${cmd[@]}");
  else say "please run: sudo apt-get update && sudo ${cmd[*]}"; exit 1; fi
fi
say "installing Debian's chromium and chromium-driver ..."
export DEBIAN_FRONTEND=noninteractive
"${cmd[0]}" "${cmd[@]:1}" >&2 || { ${cmd[0]/apt-get/apt-get} update -q >&2 || true; "${cmd[@]}" >&2; }
