"""A seccomp filter for the sandboxed worker, for `bwrap --seccomp FD`.

Default allow, with a deny list: student code needs files, memory, threads, fork and pipes,
never the kernel's rarer doors, which are where sandbox escapes and kernel exploits come in.
Refused with EPERM: debugging other processes, namespaces and mounts, kernel-side programs
and queues (bpf, io_uring, userfaultfd, perf), keyrings, and system administration. `clone3`
gets ENOSYS instead, so glibc falls back to clone() and threads keep working; clone() itself
is refused only with a namespace flag, which the filter can see (clone3's flags are behind a
pointer, so it can't). personality() stays: it only weakens the caller's own layout (ASLR),
and this filter can't tell a query (0xffffffff) from a flag (one comparison per argument).

Only the native ABI is in the filter (x86-64, or aarch64: best effort, untested). Syscalls of
any other ABI (x86-64's 32-bit `int 0x80` and x32, aarch64's AArch32) kill the process, so
they can't walk around the list; a worker never makes them.
"""

from __future__ import annotations

import errno
import functools
import os

# Why each group is refused; names the native ABI lacks (iopl on aarch64) are skipped.
DENIED = (
    # other processes' memory and files
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd",
    # kernel-side programs, queues and counters: the usual exploit surface
    "bpf", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "perf_event_open", "fanotify_init", "keyctl", "add_key", "request_key",
    # namespaces and mounts: the sandbox's walls
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    # administration of the machine
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "syslog", "acct", "quotactl", "quotactl_fd", "sethostname",
    "setdomainname", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup",
    "iopl", "ioperm", "modify_ldt", "uselib",
)
NAMESPACE_FLAGS = (0x00020000, 0x10000000, 0x20000000, 0x40000000, 0x04000000, 0x08000000,
                   0x02000000)  # CLONE_NEW{NS,USER,PID,NET,UTS,IPC,CGROUP}


class SeccompUnavailable(RuntimeError):
    """libseccomp (or its binding, pyseccomp) can't be loaded here."""


def available() -> bool:
    """Whether filter_bytes() works; if not, the sandbox runs without a seccomp filter."""
    try:
        filter_bytes()
    except SeccompUnavailable:
        return False
    return True


@functools.lru_cache(maxsize=1)
def filter_bytes() -> bytes:
    """The compiled BPF program (seccomp_export_bpf), made once per process."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError, RuntimeError) as e:  # RuntimeError: "Unable to find libseccomp"
        raise SeccompUnavailable(f"no seccomp filter: libseccomp can't be loaded ({e})") from e
    eperm = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    for name in DENIED:
        if sc.resolve_syscall(sc.Arch.NATIVE, name) >= 0:
            f.add_rule(eperm, name)
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for flag in NAMESPACE_FLAGS:
        f.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    with open(os.memfd_create("seccomp-export"), "w+b") as out:
        f.export_bpf(out)
        out.seek(0)
        return out.read()


def write_filter_fd() -> int:
    """A readable fd, at offset 0, holding filter_bytes(): for `bwrap --seccomp FD` and
    Popen(pass_fds=...). Close-on-exec until passed. The caller owns it and closes it once
    the child has started (bwrap reads it before running anything of the student's)."""
    program = filter_bytes()
    fd = os.memfd_create("cnn-grader-seccomp")
    try:
        os.write(fd, program)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd
