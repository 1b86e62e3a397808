"""The seven exercises and their module files: the one list every part of the grader uses.

Standard library only, so the light parts of the judge (archive, batch, feedback) can import
it without loading torch.
"""

MODULES = {
    "ex1": "shapes", "ex2": "mixup", "ex3": "cutout", "ex4": "soft_ce",
    "ex5": "metrics", "ex6": "square_border", "ex7": "flatten_head",
}
EXERCISES = tuple(MODULES)
POINTS_PER_EXERCISE = 10
MODULE_FILES = {exercise: f"{module}.py" for exercise, module in MODULES.items()}
