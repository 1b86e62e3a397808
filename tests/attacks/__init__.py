"""Malicious submissions, each an attack snippet planted into one module.

`{solutions}`, `{hidden}`, `{victim}` and `{port}` are filled in by the test with real
paths and a live port, so every attack aims at something that exists.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Attack:
    name: str
    exercise: str  # the module the snippet is planted in
    code: str  # runs at import unless `in_function` is set
    on: str = "stubs"  # "stubs": must still score 0; "reference": must cost only its own exercise
    in_function: str | None = None  # plant the snippet at the top of this function instead
    why: str = ""
    control: str | None = None  # the same submission without the trick, when it differs from `on`


ATTACKS = [
    Attack("patch_torch_assert_close", "ex3", """
import torch, torch.testing
torch.testing.assert_close = lambda *a, **k: None
torch.equal = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
""", why="monkeypatches torch's comparison functions"),
    Attack("patch_numpy_testing", "ex5", """
import numpy, numpy.testing
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.array_equal = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
""", why="monkeypatches numpy's comparison functions"),
    Attack("patch_pytest", "ex1", """
import sys
try:
    import pytest, _pytest.outcomes, _pytest.python_api
    pytest.raises = lambda *a, **k: None
    _pytest.outcomes.fail = lambda *a, **k: None
except Exception:
    pass
for name, mod in list(sys.modules.items()):
    if 'grader' in name or 'pytest' in name:
        setattr(mod, 'approx', lambda *a, **k: True)
""", why="monkeypatches pytest inside its own process"),
    Attack("tensor_subclass_always_equal", "ex3", """
import torch
class Yes(torch.Tensor):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, '__name__', '') in ('equal', 'allclose', 'isclose', 'eq'):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
def cutout(images, size=8, rng=None):
    return torch.zeros_like(images).as_subclass(Yes)
def cutout_mask(height, width, center, size):
    return torch.zeros(height, width).as_subclass(Yes)
""", why="returns tensors whose comparisons always agree", control="""
import torch
def cutout(images, size=8, rng=None):
    return torch.zeros_like(images)
def cutout_mask(height, width, center, size):
    return torch.zeros(height, width)
"""),
    Attack("reduce_runs_code", "ex5", """
import os
class Evil:
    def __reduce__(self):
        return (os.system, ('touch {victim}/PWNED_BY_REDUCE',))
def confusion_matrix(pred, target, num_classes):
    return Evil()
def top_k_accuracy(logits, target, k=1):
    return Evil()
""", why="returns objects whose __reduce__ runs code when unpickled"),
    Attack("forge_results_and_print_pass", "ex2", """
import json, os, sys
fake = {"score": 70, "max_score": 70}
for d in ('.', '..', '/tmp', '/out', '{victim}'):
    try:
        with open(os.path.join(d, 'result.json'), 'w') as f: json.dump(fake, f)
        with open(os.path.join(d, 'results.json'), 'w') as f: json.dump(fake, f)
        with open(os.path.join(d, 'grades.csv'), 'w') as f: f.write('submission,total\\nme,70\\n')
    except OSError:
        pass
print('=========== 70 passed in 0.01s ===========')
print('{"score": 70, "max_score": 70}')
sys.stdout.flush()
""", why="forges results files and prints fake 'passed' lines"),
    Attack("read_solutions", "ex3", """
import importlib.util, glob
src = None
for path in ['{solutions}/ex3/cutout.py'] + glob.glob('/**/solutions/ex3/cutout.py', recursive=True)[:5]:
    try:
        src = open(path).read(); break
    except OSError:
        pass
if src:
    exec(compile(src, 'stolen', 'exec'))
""", why="reads the reference solution and runs it"),
    Attack("import_hidden_suites", "ex4", """
import sys
sys.path[:0] = ['{repo}', '{hidden}']
try:
    import grader.course.ex4.test_ex4 as leaked
    from solutions.ex4.soft_ce import *  # noqa
except Exception:
    pass
try:
    exec(open('{solutions}/ex4/soft_ce.py').read())
except OSError:
    pass
""", why="imports the hidden suites and the solutions"),
    Attack("network_access", "ex1", """
import socket
for host in ('127.0.0.1', 'localhost'):
    try:
        s = socket.create_connection((host, {port}), timeout=1)
        s.sendall(b'leak'); s.close()
    except OSError:
        pass
""", why="opens a network connection"),
    Attack("delete_files", "ex2", """
import shutil, os
for target in ('{victim}', '{solutions}', '{hidden}'):
    shutil.rmtree(target, ignore_errors=True)
""", why="deletes the grader's files and another submission's"),
    Attack("infinite_loop_at_import", "ex3", """
while True:
    pass
""", on="reference", why="hangs at import"),
    Attack("infinite_loop_in_call", "ex3", """
    while True:
        pass
""", on="reference", in_function="cutout", why="hangs inside a call"),
    Attack("syntax_error", "ex2", """
def broken(:
    pass
""", on="reference", why="does not even parse"),
    Attack("exception_at_import", "ex4", """
raise RuntimeError("boom at import")
""", on="reference", why="raises while being imported"),
    Attack("sys_exit_at_import", "ex5", """
import sys
sys.exit(0)
""", on="reference", why="exits during import"),
    Attack("os_exit_in_call", "ex5", """
    import os
    os._exit(0)
""", on="reference", in_function="confusion_matrix", why="os._exit inside a call"),
    Attack("atexit_fake_results", "ex2", """
import atexit, os
atexit.register(lambda: print('70 passed') or os._exit(0))
""", why="registers an atexit hook that prints fake results"),
    Attack("segfault", "ex4", """
    import ctypes
    ctypes.string_at(0)
""", on="reference", in_function="log_softmax", why="segfaults"),
    Attack("memory_exhaustion", "ex5", """
    hog = []
    while True:
        hog.append(bytearray(64 * 1024 * 1024))
""", on="reference", in_function="top_k_accuracy", why="allocates until memory runs out"),
    Attack("fork_storm", "ex3", """
    import os, time
    for _ in range(2000):
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
        except OSError:
            break
    while True:
        pass
""", on="reference", in_function="cutout", why="forks until the process limit"),
    Attack("output_flood", "ex2", """
    import sys
    for _ in range(200000):
        sys.stdout.write('x' * 1000 + '\\n')
""", on="reference", in_function="one_hot", why="floods the output"),
    Attack("kill_parent", "ex4", """
    import os, signal
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os.killpg(0, signal.SIGKILL)
""", on="reference", in_function="smooth_labels", why="kills its parent and its process group"),
]
