#!/usr/bin/env bash
# Set up everything (otter-grader and dask included) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh otter,plots,dask
.venv/bin/python -m pytest "$@"
