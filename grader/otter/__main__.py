"""`python -m grader.otter --out autograder.zip`, the same as `cnn-grader otter`."""

import sys

from grader.cli import main

raise SystemExit(main(["otter", *sys.argv[1:]]))
