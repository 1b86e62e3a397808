#!/usr/bin/env bash
# The main job: set up, then batch-grade the demo class in the sandbox and show the results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh plots,similarity
rm -rf out/demo
.venv/bin/cnn-grader batch examples/class --out out/demo --jobs 2
# the class report again, now with the similarity flags: out/demo/_class/report.html
.venv/bin/cnn-grader report out/demo --similarity examples/class
