#!/usr/bin/env bash
# Make sure Debian's nginx is installed: `make run` (scripts/serve.sh) puts it in front of gunicorn, and the
# slow-client test measures that front. Idempotent. The system's own nginx service is not used (on Debian the
# package may start one on port 80; serve.sh runs its own instance with a project-local configuration).
set -euo pipefail
say() { echo "[ensure-nginx] $*" >&2; }
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  say "make run needs nginx in front of gunicorn; install it with your package manager (package 'nginx')"; exit 1
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo);
  else say "please run: sudo apt-get update && sudo apt-get install -y nginx"; exit 1; fi
fi
say "installing Debian's nginx ..."
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y -q nginx >&2; then
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q nginx >&2
fi
