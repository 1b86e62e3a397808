#!/usr/bin/env bash
# Set up everything (otter-grader, matplotlib, copydetect, nbclient and dask included) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh otter,plots,similarity,dev,dask
.venv/bin/python -m pytest "$@"
