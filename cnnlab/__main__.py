"""``python -m cnnlab`` prints the course's run card (see ``cnnlab.card``)."""
import os

# torch picks its CPU kernels by what the processor offers, and AVX2's kernels round differently
# from the portable ones (epoch 20: train_loss 0.0194 instead of the published 0.0193). The
# portable kernels give the published card on every x86-64 machine. Set before torch loads.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")

import torch  # noqa: E402

from .card import run_card  # noqa: E402

if __name__ == "__main__":
    # One thread: tensors this small gain nothing from more, and the numbers
    # are the same either way (checked against the published card).
    torch.set_num_threads(1)
    print(run_card())
