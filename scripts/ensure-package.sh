#!/usr/bin/env bash
# Make sure Debian packages are installed: each argument is COMMAND:PACKAGE (installed when COMMAND is not on the
# PATH nor in /usr/sbin) or LIBRARY.so.N:PACKAGE (installed when the dynamic linker does not know LIBRARY), e.g.
# `ensure-package.sh nginx:nginx pdftotext:poppler-utils libpango-1.0.so.0:libpango-1.0-0`.
# Used by `make run` (nginx in front of gunicorn; Pango, which WeasyPrint draws the PDFs with) and `make test`
# (also Chromium for the browser tests and poppler's pdftotext/pdftoppm to check the PDFs). Idempotent; as root it runs apt-get itself, otherwise through
# password-less sudo, else it says what to run. The system's own nginx service is not used (scripts/serve.sh
# runs its own instance with a project-local configuration).
set -euo pipefail
say() { echo "[ensure-package] $*" >&2; }
missing=()
for pair in "$@"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  case $cmd in
    *.so.*) if ! /sbin/ldconfig -p 2>/dev/null | grep -qF "$cmd "; then missing+=("$pkg"); fi ;;
    *) if ! command -v "$cmd" >/dev/null && [ ! -x "/usr/sbin/$cmd" ]; then missing+=("$pkg"); fi ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  say "please install with your package manager: ${missing[*]}"; exit 1
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo);
  else say "please run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"; exit 1; fi
fi
say "installing Debian's ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y -q "${missing[@]}" >&2; then
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q "${missing[@]}" >&2
fi
