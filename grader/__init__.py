"""cnn-grader: graded CNN exercises and a judge that never runs student code in its own process."""

__version__ = "0.1.0"
