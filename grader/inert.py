"""Outputs are inert: what a student controls is shown as text, never acted upon.

A submission controls its name, what its code prints and the messages of the exceptions it
raises. These reach a terminal (the batch's console lines and score table), files that people
`cat` or open in a viewer (feedback.md, result.json, results.json) and a spreadsheet
(grades.csv). Two things make such text act instead of show:

- terminal control codes: ESC and C1 sequences clear the screen, move the cursor over a score
  line to fake another, or write the clipboard (OSC 52); CR and BEL rewrite a line or ring;
- spreadsheet formulas (OWASP "CSV injection"): a cell starting with = + - @ TAB or CR runs as
  a formula, e.g. =HYPERLINK(...) that leaks data when clicked.

`escape` writes each control character as visible text (ESC -> the four characters `\\x1b`);
`document` does that to every string of a result.json document; `cell` makes a CSV cell text.
Standard library only: otter's process imports it too.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1, bidi embeddings/overrides/isolates (they reorder
# what a viewer shows: "Trojan Source", CVE-2021-42574, could make a name read as a score),
# and lone surrogates (a file name that is not UTF-8: no file could be written with it).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")  # a number as the grader writes one (feedback.points)
_FORMULA_START = ("=", "+", "-", "@", "\t")  # OWASP's list, less CR: `escape` writes that out


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text) -> str:
    """`text` with every control character but newline and tab written out (ESC -> `\\x1b`)."""
    return _CONTROL.sub(_visible, str(text))


def is_clean(text: str) -> bool:
    """Whether `text` has no character that `escape` would write out."""
    return _CONTROL.search(text) is None


def document(value):
    """A copy of a JSON-like document (a result.json) with `escape` applied to every string."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {document(k): document(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [document(v) for v in value]
    return value


def cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: escaped, and a formula gets a leading `'`.

    Numbers as the grader writes them ("-1.5", "70") stay as they are, so scores stay numeric;
    "+1" is not one of them, and becomes "'+1".
    """
    text = escape("" if value is None else value)
    if _NUMBER.fullmatch(text):
        return text
    if text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text
