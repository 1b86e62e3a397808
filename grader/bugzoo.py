"""Bug-zoo mutants: a realistic student mistake written as a small edit of the reference.

Keeping mistakes as edits, not copies, means the zoo can't drift from the reference: when
the reference changes, a mutant whose snippet no longer matches fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    old: str
    new: str
    why: str
    count: int = 1

    def apply(self, source: str) -> str:
        found = source.count(self.old)
        if found != self.count:
            raise AssertionError(f"mutant {self.name}: expected {self.count} occurrence(s) of the "
                                 f"snippet in the reference, found {found}")
        return source.replace(self.old, self.new)


@dataclass(frozen=True)
class Mistake:
    """A mistake the PUBLIC tests must catch with a message that names it: a failing public test's
    message must contain every word of `says` (case-insensitive). `elsewhere` holds files, as
    (name, text), put on sys.path outside the exercise folder (a helper the grader won't have)."""

    mutant: Mutant
    says: tuple
    elsewhere: tuple = ()

    @property
    def name(self) -> str:
        return self.mutant.name


def named(mutants, name: str) -> Mutant:
    """The mutant called `name` (a MISTAKES entry reuses a MUTANTS edit without repeating it)."""
    for mutant in mutants:
        if mutant.name == name:
            return mutant
    raise KeyError(f"no mutant named {name!r}")
