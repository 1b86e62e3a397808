#!/usr/bin/env bash
# Set up everything (otter-grader, matplotlib and copydetect included) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh otter,plots,similarity,dev
.venv/bin/python -m pytest "$@"
