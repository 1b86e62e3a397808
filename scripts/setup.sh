#!/usr/bin/env bash
# Set up .venv with the pinned dependencies and this project.
# The project is installed editable on purpose: the hidden suites and solutions stay in this
# tree, never in the site-packages that sandboxed student workers can see.
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh otter,plots,dask
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing bubblewrap (the sandbox for student code)"
    apt-get install -y -q bubblewrap >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; } ||
      echo "setup: warning: could not install bubblewrap" >&2
  else
    echo "setup: warning: bubblewrap (bwrap) not found, so student code runs in a plain subprocess" \
         "with rlimits. Install it for full isolation: sudo apt-get install bubblewrap" >&2
  fi
fi

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
target="."
[ -n "$extras" ] && target=".[$extras]"
echo "setup: installing pinned dependencies into .venv (this takes a minute the first time)"
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e "$target" 2>&1 |
  grep -v -e "^WARNING: Location" -e "is ignored: it is neither" >&2 || true
.venv/bin/python -c "import grader, torch; print(f'setup: ready (torch {torch.__version__})')"
