"""Course lab: a small CNN on synthetic 16x16 line images.

Rebuilt so that ``python -m cnnlab`` reproduces the course's published run
card exactly on CPU with the pinned torch; the grader trains student models
with the same loop (``train``) and budget (``EPOCHS``).
"""
from .card import run_card
from .data import CLASS_NAMES, make_line_dataset, make_line_image
from .model import SmallCNN, conv_stack
from .report import confusion_matrix, format_confusion
from .train import EPOCHS, LR, evaluate, format_epoch, predict, train

__all__ = [
    "CLASS_NAMES", "make_line_image", "make_line_dataset",
    "conv_stack", "SmallCNN",
    "EPOCHS", "LR", "evaluate", "train", "format_epoch", "predict",
    "confusion_matrix", "format_confusion", "run_card",
]
