"""The course: one folder per exercise with all its staff-only parts (manifest.toml, the hidden
suite test_<id>.py, the worker-side probes.py, the bug zoo bugzoo.py), the registry that lists
them (registry.txt, read by grader/registry.py), and what the suites share (checks.py,
conftest.py, pytest.ini, probing.py). Only probing.py and the probes enter the worker kit."""
