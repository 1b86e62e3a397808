"""Calibrate the accuracy thresholds of the ex6 and ex7 hidden suites.

    .venv/bin/python benchmarks/calibrate_thresholds.py [--seeds 50]

Trains the reference (and a few bug-zoo mutants) exactly as the hidden suites do: the model is
described by the worker-side probe (grader/course/ex6/probes.py, ex7/probes.py, called here
in-process on trusted code), rebuilt, initialised and trained in the judge by
grader/course/models.py (grader/architecture.py), with the grading budget and evaluation-set
size of the suites, over many seeds: training seed (model initialisation) and evaluation images change
with every seed, and so does the ex7 training data (lab data set seed 42 + i). Prints one
Markdown table row per (exercise, model) with the accuracy distribution, and the threshold
each suite uses with its margin below the reference's minimum. docs/calibration.md records
the output. Single-threaded, like the worker; takes a few minutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import cnnlab  # noqa: E402
from grader import limits  # noqa: E402
from grader.course import models  # noqa: E402
from grader.course.ex6 import test_ex6  # noqa: E402
from grader.course.ex7 import test_ex7  # noqa: E402  (thresholds, budget, eval sizes)
from grader.course.ex6 import probes as probes6  # noqa: E402
from grader.course.ex7 import probes as probes7  # noqa: E402
from grader.sandboxed.worker import MODULES  # noqa: E402
from grader.course.ex6 import bugzoo as zoo6  # noqa: E402
from grader.course.ex7 import bugzoo as zoo7  # noqa: E402

CALIBRATED = {"ex6": ("no_shuffle_before_split", "labels_not_shuffled_with_images", "four_way_head",
                      "softmax_in_model"),
              "ex7": ("missing_last_relu",)}  # the other ex7 mutants change forward(), which is not rebuilt
ZOO = {"ex6": zoo6.MUTANTS, "ex7": zoo7.MUTANTS}


def load_module(exercise, mutant=None):
    """The reference module of `exercise`, or the reference with one bug-zoo mutant applied."""
    path = ROOT / "solutions" / exercise / f"{MODULES[exercise]}.py"
    source = path.read_text()
    if mutant is not None:
        source = next(m for m in ZOO[exercise] if m.name == mutant).apply(source)
    module = types.ModuleType(f"calibrate_{exercise}_{mutant or 'reference'}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - our own reference
    return module


def _timeout(exercise):
    return limits.for_exercise(exercise).training_timeout_s


def ex6_run(module, i):
    reference = load_module("ex6")
    X_tr, y_tr, X_va, y_va = reference.make_dataset(per_class=test_ex6.EVAL_PER_CLASS, seed=5000 + i)
    X_eval, y_eval = torch.cat([X_tr, X_va]), torch.cat([y_tr, y_va])
    (description,) = probes6.ex6_architecture(module, [None])
    arch = models.rebuild(description, what="build_model()")
    data = models.check_dataset(module.make_dataset(seed=1000 + i), num_classes=test_ex6.NUM_CLASSES, size=16,
                                what="make_dataset()")
    out = models.train_and_predict(arch, 1000 + i, data, test_ex6.GRADING_EPOCHS, X_eval,
                                   timeout_s=_timeout("ex6"), what="training")
    return out, y_eval


def ex7_run(module, i):
    X_tr, y_tr, X_va, y_va = cnnlab.make_line_dataset(per_class=test_ex7.EVAL_PER_CLASS, seed=5000 + i)
    X_eval, y_eval = torch.cat([X_tr, X_va]), torch.cat([y_tr, y_va])
    (entry,) = probes7.ex7_architecture(module, [16], [4])
    arch = models.rebuild(entry["features"], entry["head"], what="FlattenHeadCNN()")
    out = models.train_and_predict(arch, 1000 + i, cnnlab.make_line_dataset(seed=42 + i), test_ex7.GRADING_EPOCHS,
                                   X_eval, timeout_s=_timeout("ex7"), what="training")
    return out, y_eval


def calibrate(run, module, seeds):
    """Accuracy on the evaluation images, first epoch with val_acc 1.0, CPU seconds: per seed."""
    accs, first_perfect, cpu = [], [], []
    for i in range(seeds):
        start = time.process_time()
        out, y_eval = run(module, i)
        cpu.append(time.process_time() - start)
        # As the hidden suites score it (a 4-way head simply never predicts class 4).
        accs.append(models.accuracy(out["logits"], y_eval))
        first_perfect.append(next((e + 1 for e, a in enumerate(out["history"]) if a == 1.0), None))
    return accs, first_perfect, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    suites = {"ex6": (ex6_run, test_ex6), "ex7": (ex7_run, test_ex7)}
    print(f"grading budget: ex6 {test_ex6.GRADING_EPOCHS} epochs, ex7 {test_ex7.GRADING_EPOCHS} epochs "
          f"(cnnlab.EPOCHS = {cnnlab.EPOCHS}); {args.seeds} seeds; torch {torch.__version__}, 1 thread\n")
    print("| exercise | model | min | median | max | seeds below threshold | threshold | "
          "reference min - threshold | first epoch at val_acc 1.0 (median / max) | CPU s per training (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for exercise, (run, suite) in suites.items():
        threshold = suite.ACC_THRESHOLD
        for mutant in (None, *CALIBRATED[exercise]):
            name = mutant or "reference"
            try:
                accs, first, cpu = calibrate(run, load_module(exercise, mutant), args.seeds)
            except Exception as exc:  # noqa: BLE001 - e.g. a 4-way head on 5-class labels, a refused model
                print(f"| {exercise} | {name} | training fails: {type(exc).__name__}: {str(exc)[:50]} | | | "
                      f"all | {threshold:.2f} | | | |", flush=True)
                continue
            below = sum(a < threshold for a in accs)
            margin = f"{min(accs) - threshold:+.3f}" if mutant is None else ""
            reached = [f for f in first if f is not None]
            epochs = (f"{statistics.median(reached):g} / {max(reached)}" if len(reached) == len(first)
                      else f"not reached on {len(first) - len(reached)} seeds")
            print(f"| {exercise} | {name} | {min(accs):.3f} | {statistics.median(accs):.3f} | "
                  f"{max(accs):.3f} | {below} of {len(accs)} | {threshold:.2f} | {margin} | {epochs} | "
                  f"{statistics.median(cpu):.2f} |", flush=True)


if __name__ == "__main__":
    main()
