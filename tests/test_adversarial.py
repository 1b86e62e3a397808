"""Attacks from a hostile submission: each one must gain nothing and harm nobody."""

from __future__ import annotations

import re
import socket
import threading

import pytest

from grader import sandbox
from grader.paths import HIDDEN_DIR, REPO_ROOT, SOLUTIONS_DIR
from tests.attacks import ATTACKS
from tests.graded import grade, make_submission, module_path, scores

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None,
                                reason="the file and network attacks need bubblewrap (apt-get install bubblewrap)")
OTHER = {"ex1": "ex2", "ex2": "ex1", "ex3": "ex1", "ex4": "ex2", "ex5": "ex1"}


class Listener:
    """A loopback server that records whether anything connected to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


def plant(source: str, attack, fill, code=None) -> str:
    code = attack.code if code is None else code
    for key, value in fill.items():
        code = code.replace("{" + key + "}", str(value))
    if attack.in_function is None:
        return source + "\n\n# --- attack ---\n" + code
    match = re.search(rf"^def {attack.in_function}\(.*?\):[^\n]*\n", source, flags=re.S | re.M)
    assert match, f"no function {attack.in_function}"
    return source[:match.end()] + code.strip("\n") + "\n" + source[match.end():]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """Scores of the untouched stubs and reference, per exercise, in the sandbox."""
    out = {}
    for base in ("stubs", "reference"):
        path = make_submission(tmp_path_factory.mktemp(base), base)
        out[base] = scores(grade(path, exercises=("ex1", "ex2", "ex3", "ex4", "ex5")))
    return out


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_gains_nothing(attack, baseline, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "result.json").write_text('{"score": 3}')
    decoys = tmp_path / "decoys"
    for name in ("solutions", "hidden"):
        (decoys / name).mkdir(parents=True)
        (decoys / name / "keep.txt").write_text("keep")
    listener = Listener()
    fill = {"solutions": SOLUTIONS_DIR if attack.name == "read_solutions" else decoys / "solutions",
            "hidden": HIDDEN_DIR if attack.name == "import_hidden_suites" else decoys / "hidden",
            "victim": victim, "port": listener.port, "repo": REPO_ROOT}
    sub = make_submission(tmp_path / "sub", attack.on)
    target = module_path(sub, attack.exercise)
    target.write_text(plant(target.read_text(), attack, fill))
    try:
        result = grade(sub, exercises=(attack.exercise, OTHER[attack.exercise]))
    finally:
        listener.close()

    got = scores(result)
    base = baseline[attack.on]
    if attack.control is not None:
        control = make_submission(tmp_path / "control", attack.on)
        target = module_path(control, attack.exercise)
        target.write_text(plant(target.read_text(), attack, fill, attack.control))
        assert got == scores(grade(control, exercises=tuple(got))), attack.why
    elif attack.on == "stubs":
        assert got == {ex: base[ex] for ex in got}, f"{attack.why}: {got} vs {base}"
    else:
        assert got[OTHER[attack.exercise]] == base[OTHER[attack.exercise]] == 10
        assert got[attack.exercise] < 10
        bad = [t for t in result["exercises"][attack.exercise]["tests"] if t["status"] != "passed"]
        assert all(t["message"] for t in bad), bad
    assert (victim / "result.json").read_text() == '{"score": 3}'
    assert sorted(p.name for p in victim.iterdir()) == ["result.json"]
    assert (decoys / "solutions" / "keep.txt").exists() and (decoys / "hidden" / "keep.txt").exists()
    assert (SOLUTIONS_DIR / "ex3" / "cutout.py").exists()
    assert listener.connections == 0


def test_conftest_and_pytest_ini_in_submission_are_never_loaded(baseline, tmp_path):
    sub = make_submission(tmp_path / "sub", "stubs")
    evil = "import torch\ntorch.testing.assert_close = lambda *a, **k: None\n" \
           "def pytest_runtest_makereport(item, call):\n    call.excinfo = None\n"
    for folder in (sub, sub / "ex3"):
        (folder / "conftest.py").write_text(evil)
        (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:terminal\n")
    result = grade(sub, exercises=("ex3",))
    assert scores(result) == {"ex3": baseline["stubs"]["ex3"]}


def test_symlinked_module_is_not_followed(baseline, tmp_path):
    sub = make_submission(tmp_path / "sub", "stubs")
    target = module_path(sub, "ex3")
    target.unlink()
    target.symlink_to(module_path(SOLUTIONS_DIR, "ex3"))
    result = grade(sub, exercises=("ex3",))
    assert scores(result) == {"ex3": 0}
    assert "missing" in result["exercises"]["ex3"]["tests"][0]["message"]


def test_honest_submission_keeps_full_marks_in_a_batch_with_attackers(tmp_path):
    """Attackers graded beside an honest student, two at a time, aim at the honest one's files."""
    import csv
    import json

    from grader import api

    folder, out = tmp_path / "class", tmp_path / "out"
    honest = make_submission(folder / "honest", "reference")
    fill = {"victim": honest, "solutions": out / "honest", "hidden": out, "port": 9, "repo": REPO_ROOT}
    chosen = {a.name: a for a in ATTACKS}
    for name in ("delete_files", "forge_results_and_print_pass", "kill_parent", "fork_storm"):
        attack = chosen[name]
        sub = make_submission(folder / name, "stubs")
        target = module_path(sub, attack.exercise)
        target.write_text(plant(target.read_text(), attack, fill))
    before = {p.relative_to(honest): p.read_bytes() for p in honest.rglob("*.py")}

    api.batch(folder, out=out, jobs=2, progress=False, report=lambda text: None)

    rows = {row["submission"]: row for row in csv.DictReader(open(out / "grades.csv"))}
    assert float(rows["honest"]["total"]) == 70
    assert json.loads((out / "honest" / "result.json").read_text())["score"] == 70
    assert all(float(rows[name]["total"]) == 0 for name in rows if name != "honest")
    assert {p.relative_to(honest): p.read_bytes() for p in honest.rglob("*.py")} == before
