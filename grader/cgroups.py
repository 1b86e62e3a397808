"""A cgroup for one worker: a CPU quota, a memory limit that also counts tmpfs pages, a task
limit, and the CPU time the worker used, so that its calls are charged on its own CPU time and a
neighbour's load never costs a student points.

Only cgroup v1 (cpu, cpuacct, memory and pids, each under /sys/fs/cgroup/<controller>), which
the project's machines and CI have. Groups are made beneath the judge's own group in each
hierarchy, never at the root. v2 may come later; untested code for it must not ship.
Standard library only: the judge starts a worker before it loads torch.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

CONTROLLERS = ("cpu", "cpuacct", "memory", "pids")
HIERARCHIES = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000


def own_groups(proc_cgroup: str | None = None) -> dict[str, Path]:
    """The judge's own group in each v1 hierarchy that is mounted at /sys/fs/cgroup/<controller>."""
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return {}
    groups = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in CONTROLLERS and (HIERARCHIES / controller).is_dir():
                groups[controller] = HIERARCHIES / controller / path.lstrip("/")
    return groups


def unavailable_reason() -> str | None:
    """Why worker cgroups can't be made here, or None if they can."""
    if os.environ.get("CNN_GRADER_NO_CGROUPS"):  # for benchmarks, and hosts whose cgroups misbehave
        return "turned off by CNN_GRADER_NO_CGROUPS"
    if os.geteuid() != 0:
        return "the judge is not root"
    groups = own_groups()
    missing = [c for c in CONTROLLERS if c not in groups]
    if missing:
        return f"no cgroup v1 hierarchy for {', '.join(missing)}"
    if not all(os.access(path, os.W_OK) for path in groups.values()):
        return "the judge's cgroups are read-only"
    return None


class WorkerCgroup:
    """One worker's group in every controller; `active` is False where none could be made."""

    def __init__(self, *, cpu_cores: float, memory_bytes: int, max_tasks: int):
        self.paths: dict[str, Path] = {}
        self.reason = unavailable_reason()
        if self.reason:
            return
        name = f"cnn-grader-worker-{uuid.uuid4().hex[:12]}"
        try:
            for controller, parent in own_groups().items():
                path = parent / name
                path.mkdir()
                self.paths[controller] = path
            self._write("cpu", "cpu.cfs_period_us", CFS_PERIOD_US)
            self._write("cpu", "cpu.cfs_quota_us", max(1000, int(cpu_cores * CFS_PERIOD_US)))
            self._write("memory", "memory.limit_in_bytes", memory_bytes)
            self._write("pids", "pids.max", max_tasks)
        except OSError as exc:
            self.remove()
            self.reason = f"could not create worker cgroups ({exc.strerror or exc})"

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def _write(self, controller, name, value):
        (self.paths[controller] / name).write_text(str(value))

    def enter(self):
        """Move the calling process into every group (the worker's child, before it execs)."""
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def cpu_seconds(self) -> float:
        """CPU time used by every process ever in the group, the worker's children included."""
        return int((self.paths["cpuacct"] / "cpuacct.usage").read_text()) / 1e9

    def kill_all(self):
        """SIGKILL every process left in the group: processes that left the worker's session too."""
        if "pids" not in self.paths:
            return
        for _ in range(3):  # a fork may land between reading the list and the kills
            try:
                pids = (self.paths["pids"] / "cgroup.procs").read_text().split()
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass

    def remove(self):
        """Remove the groups; a group is busy until its last killed process is reaped."""
        for controller, path in list(self.paths.items()):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
            self.paths.pop(controller)
