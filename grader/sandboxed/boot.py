"""Entry point of the worker inside the sandbox.

argv: submission dir, fd in, fd out, site dirs.
"""

import gc
import os
import sys

submission, fd_in, fd_out, site_dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.extend(p for p in site_dirs.split(os.pathsep) if p)
sys.argv = [sys.argv[0]]

gc.disable()  # importing torch makes ~250,000 objects: collecting as it goes costs ~15% of the import
import torch  # noqa: E402 - after the path is set up

torch.set_num_threads(1)
torch.set_flush_denormal(True)

from sandboxed.worker import probes, serve  # noqa: E402

probes()  # the course's probes (torch, cnnlab) load before the freeze, as tasks did

gc.freeze()  # what is loaded now stays: later collections skip it
gc.enable()

serve(submission, fd_in, fd_out)
