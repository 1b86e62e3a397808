"""Entry point of the worker inside the sandbox.

argv: submission dir, fd in, fd out, site dirs, and "warm" to preload what training needs.
"""

import os
import sys

submission, fd_in, fd_out, site_dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
warm = sys.argv[5:] == ["warm"]
sys.path.extend(p for p in site_dirs.split(os.pathsep) if p)
sys.argv = [sys.argv[0]]

import torch  # noqa: E402 - after the path is set up

if warm:  # the first optimizer step would import it on the student's clock; restarts skip it
    import torch._dynamo  # noqa: F401

torch.set_num_threads(1)
torch.set_flush_denormal(True)

from sandboxed.worker import serve  # noqa: E402

serve(submission, fd_in, fd_out)
