"""Calibrate the public training checks of ex6 and ex7 (exercises/public_checks.py
`accuracy_after_training`) on the reference over many seeds, and on a broken model beside it.

    .venv/bin/python benchmarks/calibrate_public_training.py [--seeds 50]

Prints min / median / max validation accuracy per exercise and the margin to the threshold the
public tests use. One thread, as the grader's workers run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "exercises"), str(ROOT / "solutions" / "ex6"), str(ROOT / "solutions" / "ex7")]

import cnnlab  # noqa: E402
from public_checks import accuracy_after_training  # noqa: E402
from flatten_head import FlattenHeadCNN  # noqa: E402
from square_border import build_model, make_dataset  # noqa: E402

THRESHOLD = 0.90  # exercises/ex6/test_square_border.py and exercises/ex7/test_flatten_head.py
EPOCHS = 20


def _parts(model):
    """What the grader rebuilds of ex7 (and the public check trains): features, then head."""
    return model.features, model.head


def unshuffled(seed):
    """A typical bug beside the reference: labels not shuffled with the images."""
    X_train, y_train, X_val, y_val = make_dataset(seed=seed)
    return X_train, y_train.sort().values, X_val, y_val.sort().values


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    runs = {
        "ex6 reference": lambda s: accuracy_after_training(build_model, make_dataset(seed=s), seed=s, epochs=EPOCHS),
        "ex6 labels not shuffled": lambda s: accuracy_after_training(build_model, unshuffled(s), seed=s, epochs=EPOCHS),
        "ex7 reference": lambda s: accuracy_after_training(lambda: torch.nn.Sequential(*_parts(FlattenHeadCNN())),
                                                           cnnlab.make_line_dataset(seed=s), seed=s, epochs=EPOCHS),
    }
    print(f"{'run':<26} {'seeds':>5} {'min':>6} {'median':>7} {'max':>6}  margin to {THRESHOLD:.2f}")
    for name, run in runs.items():
        accs = [run(seed) for seed in range(args.seeds)]
        print(f"{name:<26} {len(accs):>5} {min(accs):>6.3f} {statistics.median(accs):>7.3f} {max(accs):>6.3f}"
              f"  {min(accs) - THRESHOLD:+.3f}" + ("" if "reference" in name else f" (max {max(accs) - THRESHOLD:+.3f})"))


if __name__ == "__main__":
    main()
