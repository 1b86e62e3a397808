"""``python -m cnnlab`` prints the course's run card (see ``cnnlab.card``)."""
import torch

from .card import run_card

if __name__ == "__main__":
    # One thread: tensors this small gain nothing from more, and the numbers
    # are the same either way (checked against the published card).
    torch.set_num_threads(1)
    print(run_card())
