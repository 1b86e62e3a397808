"""Every time and size limit of the grader, in one place, with its default and what it limits.

    from grader import limits
    limits.DEFAULT.submission_budget_s          # the defaults
    limits.for_exercise("ex6").training_timeout_s  # with ex6's manifest [limits] applied

A field whose metadata has `override=True` may be set per exercise in
grader/course/<id>/manifest.toml's [limits] table (grader.registry.LIMIT_KEYS checks the keys).
The worker kit (grader/sandboxed/*) is copied into the sandbox alone and can't import this
module: its frame caps stay constants there, and the docs table lists them beside these fields.

`python -m grader.limits --markdown` writes the table that docs/limits.md holds
(tests/test_limits.py fails when the two differ). Standard library only: the light parts of
the judge read it without loading torch.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import operator
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import registry

MIB = 1024 * 1024
GIB = 1024 * MIB


def _limit(default, unit, doc, *, part, override=False):
    return field(default=default, metadata={"doc": doc, "unit": unit, "part": part, "override": override})


@dataclass(frozen=True)
class Limits:
    """The grader's limits. Times charged on the worker are its CPU time, not wall time."""

    # -- one call into the student's code (charged on the worker's CPU time)
    call_timeout_s: float = _limit(10.0, "s", "one call into the student's code (`sub.exN.f(...)`)",
                                   part="call", override=True)
    task_timeout_s: float = _limit(20.0, "s", "one probe that runs a batch of cases (`sub.run(...)`: ex1's "
                                   "sizes, ex4's checks)", part="call", override=True)
    training_timeout_s: float = _limit(60.0, "s", "one training run of a student's model, rebuilt and "
                                       "trained in the judge (ex6, ex7; the judge's CPU time)",
                                       part="call", override=True)
    submission_budget_s: float = _limit(300.0, "s", "all calls of one submission together", part="call")
    test_timeout_s: float = _limit(60.0, "s", "wall clock of one hidden test without its own "
                                   "`@pytest.mark.timeout` (pytest-timeout; a training test gets "
                                   "twice its training limit, ex5's large case twice its call limit)",
                                   part="call")
    public_test_timeout_s: float = _limit(10.0, "s", "wall clock of one public test in the students' "
                                          "bundle and the repo (exercises/conftest.py; the bundle's pyproject.toml)", part="call")
    # -- the judge's link to its worker
    startup_timeout_s: float = _limit(60.0, "s", "wall clock for a worker to start and say hello",
                                      part="worker link")
    wall_backstop_factor: float = _limit(3.0, "x", "wall clock of a call, as a multiple of its CPU limit "
                                         "(stops code that sleeps or blocks)", part="worker link")
    clock_poll_s: float = _limit(0.25, "s", "how often a long call's CPU time is read (a call's first interval is "
                                 "charged as wall time)", part="worker link")
    worker_log_tail_bytes: int = _limit(4000, "bytes", "the worker's output kept for a failure message",
                                        part="worker link")
    # -- the worker process (rlimits, cgroup, bubblewrap's tmpfs); grader.sandbox.Limits
    worker_cpu_seconds: int = _limit(120, "s", "RLIMIT_CPU of each worker process", part="worker")
    worker_memory_bytes: int = _limit(4 * GIB, "bytes", "RLIMIT_AS of each worker process, and the "
                                      "cgroup's memory limit (tmpfs pages count)", part="worker")
    worker_processes: int = _limit(64, "processes", "RLIMIT_NPROC, and the cgroup's task limit", part="worker")
    worker_file_bytes: int = _limit(8 * MIB, "bytes", "RLIMIT_FSIZE: one file the worker writes",
                                    part="worker")
    worker_cpu_cores: float = _limit(1.0, "cores", "the cgroup's CPU quota", part="worker")
    worker_tmp_bytes: int = _limit(256 * MIB, "bytes", "the sandbox's /tmp (tmpfs)", part="worker")
    worker_shm_bytes: int = _limit(64 * MIB, "bytes", "the sandbox's /dev/shm (tmpfs)", part="worker")
    worker_dev_bytes: int = _limit(64 * 1024, "bytes", "the sandbox's /dev (device nodes and links only)",
                                   part="worker")
    # -- one judge process (one submission)
    judge_timeout_s: float = _limit(900.0, "s", "wall clock of one judge run in `cnn-grader batch` "
                                    "(`--timeout`)", part="judge")
    otter_judge_timeout_s: float = _limit(1800.0, "s", "wall clock of the judge run on Gradescope / "
                                          "`otter run` (`cnn-grader otter --judge-timeout`)", part="judge")
    judge_memory_bytes: int = _limit(3 * GIB, "bytes", "RLIMIT_AS of one judge process", part="judge")
    judge_kill_grace_s: float = _limit(10.0, "s", "after SIGTERM, before SIGKILL, for a judge past its "
                                       "time", part="judge")
    judge_log_tail_bytes: int = _limit(4000, "bytes", "a judge's log kept as evidence of its failure",
                                       part="judge")
    otter_log_tail_bytes: int = _limit(6000, "bytes", "the judge's output kept in the Gradescope "
                                       "instructors' log", part="judge")
    # -- a model the judge rebuilds from its description (ex6, ex7; grader/architecture.py)
    model_max_nodes: int = _limit(300, "nodes", "graph nodes of one traced model part", part="model")
    model_max_layers: int = _limit(100, "layers", "layers of one rebuilt model", part="model")
    model_max_params: int = _limit(2_000_000, "parameters", "parameters of one rebuilt model (counted on "
                                   "the meta device before anything is allocated)", part="model")
    model_max_flops_per_image: int = _limit(20_000_000, "FLOPs", "estimated cost of one forward pass, per "
                                            "input image (the lab's SmallCNN: ~0.34 M)", part="model")
    model_max_activations_per_image: int = _limit(100_000, "elements", "all intermediate tensors of one "
                                                  "forward pass, per input image (SmallCNN: ~8 k)",
                                                  part="model")
    model_max_images: int = _limit(1_000, "images", "a data set the judge trains on (ex6's make_dataset: "
                                   "600 by default)", part="model")
    # -- what a student hands in
    upload_max_files: int = _limit(2000, "files", "files of one Gradescope upload", part="submission")
    upload_max_bytes: int = _limit(64 * MIB, "bytes", "one Gradescope upload, all files together",
                                   part="submission")
    archive_file_bytes: int = _limit(5 * MIB, "bytes", "one file of a submission archive, unpacked",
                                     part="submission")
    archive_total_bytes: int = _limit(50 * MIB, "bytes", "a submission archive, unpacked", part="submission")
    archive_entries: int = _limit(10_000, "entries", "entries of a submission archive", part="submission")
    archive_ratio: int = _limit(100, "x", "unpacked / packed size of an archive entry above "
                                  "`archive_ratio_min_bytes` (zip bombs)", part="submission")
    archive_ratio_min_bytes: int = _limit(1 * MIB, "bytes", "entries below this size skip the ratio check",
                                          part="submission")


DEFAULT = Limits()


def overridable() -> tuple[str, ...]:
    """The fields a manifest's [limits] table may set."""
    return tuple(f.name for f in dataclasses.fields(Limits) if f.metadata["override"])


def for_exercise(exercise_id: str) -> Limits:
    """DEFAULT with the exercise's manifest [limits] applied (the registry validated the keys)."""
    overrides = dict(registry.get(exercise_id).limits)
    refused = sorted(set(overrides) - set(overridable()))
    if refused:  # registry.LIMIT_KEYS and the fields' `override` disagree: a grader bug
        raise ValueError(f"{exercise_id}: [limits] {refused[0]} is not a per-exercise limit")
    return dataclasses.replace(DEFAULT, **overrides)


# ------------------------------------------------------------------------------ the docs table

SANDBOXED_DIR = Path(__file__).resolve().parent / "sandboxed"
# The worker kit's own caps: (module, constant, unit, what it limits). Read from the source with
# `ast`, so that the table needs neither torch (codec imports it) nor an import of the kit.
KIT_CAPS = (
    ("framing", "MAX_FRAME_BYTES", "bytes", "one frame on the judge-worker pipe"),
    ("framing", "MAX_HEAD_BYTES", "bytes", "a frame's JSON head"),
    ("framing", "MAX_REPLY_BYTES", "bytes", "all buffers of one reply together"),
    ("codec", "MAX_NODES", "nodes", "values in one encoded request or reply"),
    ("codec", "MAX_DEPTH", "levels", "nesting of one encoded value"),
)


_OPS = {ast.Mult: operator.mul, ast.Add: operator.add, ast.Sub: operator.sub, ast.Pow: operator.pow}


def _eval(node):
    """A module-level constant: a number, or numbers combined with * + - ** (no names, no calls)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    raise ValueError(f"not a plain number: {ast.unparse(node)}")


def kit_constant(module: str, name: str):
    """The value of grader/sandboxed/<module>.py's module-level `name`."""
    tree = ast.parse((SANDBOXED_DIR / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return _eval(node.value)
    raise LookupError(f"grader/sandboxed/{module}.py has no constant {name}")


def _show(value, unit) -> str:
    """A default as people read it: 4 GiB rather than 4294967296, 10 rather than 10.0."""
    if unit == "bytes" and value >= 1024:
        for size, name in ((GIB, "GiB"), (MIB, "MiB"), (1024, "KiB")):
            if value % size == 0:
                return f"{value // size} {name}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def markdown() -> str:
    """docs/limits.md: every limit, its default, unit and what it limits."""
    lines = [
        "# Limits",
        "",
        "<!-- Generated by `python -m grader.limits --markdown > docs/limits.md`; do not edit by hand.",
        "     tests/test_limits.py fails when this file and grader/limits.py differ. -->",
        "",
        "Every time and size limit of the grader. The defaults live in `grader/limits.py` (`Limits`);",
        "the ones marked *per exercise* may be set in `grader/course/<id>/manifest.toml`:",
        "",
        "```toml",
        "[limits]",
        "training_timeout_s = 120.0",
        "```",
        "",
        "Times charged on the worker (*call* limits) are its CPU time, so a neighbour's load never",
        "costs a student points; a wall clock `wall_backstop_factor` times longer stops code that sleeps.",
        "",
        "| Limit | Default | Unit | Part | What it limits | Per exercise |",
        "|---|---|---|---|---|---|",
    ]
    for f in dataclasses.fields(Limits):
        meta = f.metadata
        lines.append(f"| `{f.name}` | {_show(f.default, meta['unit'])} | {meta['unit']} | {meta['part']} | "
                     f"{meta['doc']} | {'yes' if meta['override'] else 'no'} |")
    lines += [
        "",
        "## The worker kit's caps",
        "",
        "The worker kit (`grader/sandboxed/`) is copied into the sandbox alone, so it can't read",
        "`grader/limits.py`: these caps are constants there, the same on both sides of the pipe.",
        "",
        "| Constant | Default | Unit | What it limits |",
        "|---|---|---|---|",
    ]
    for module, name, unit, doc in KIT_CAPS:
        lines.append(f"| `sandboxed/{module}.py` `{name}` | {_show(kit_constant(module, name), unit)} | {unit} | "
                     f"{doc} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.limits", description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print docs/limits.md's table")
    parser.add_argument("--exercise", help="print this exercise's limits (its manifest applied)")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    chosen = for_exercise(args.exercise) if args.exercise else DEFAULT
    for f in dataclasses.fields(Limits):
        print(f"{f.name} = {getattr(chosen, f.name)!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
