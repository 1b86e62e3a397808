"""The course's classification run card, as one function tests can call."""
import torch

from .data import CLASS_NAMES, make_line_dataset
from .model import SmallCNN
from .report import confusion_matrix, format_confusion
from .train import EPOCHS, predict, train

SEED = 42


def run_card(epochs=EPOCHS):
    """Seed, build data and model, train, and return the run card text.

    The torch RNG is forked so that calling this leaves the caller's global
    RNG state as it was; the data use their own ``RandomState(SEED)``.
    """
    lines = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        X_train, y_train, X_val, y_val = make_line_dataset(seed=SEED)
        lines.append(f"train: {tuple(X_train.shape)} {tuple(y_train.shape)}")
        lines.append(f"val : {tuple(X_val.shape)} {tuple(y_val.shape)}")

        model = SmallCNN(num_classes=len(CLASS_NAMES))
        with torch.no_grad():
            feats = model.features(X_train[:4])
            logits = model.head(feats)
        lines.append(f"features: {tuple(feats.shape)}")
        lines.append(f"logits: {tuple(logits.shape)}")

        train(model, X_train, y_train, X_val, y_val, epochs=epochs, log=lines.append)

    pred = predict(model, X_val)
    cm = confusion_matrix(pred, y_val, len(CLASS_NAMES))
    lines.append(format_confusion(cm, CLASS_NAMES))
    lines.append(f"true: {CLASS_NAMES[y_val[0]]} pred: {CLASS_NAMES[pred[0]]}")
    return "\n".join(lines)
