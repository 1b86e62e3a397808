"""Helpers for exercises.ipynb: open a module, check it, pack your submission.

    from notebook_tools import edit, check, pack
    edit("ex3")      # opens exercises/ex3/cutout.py in the editor (Colab or Jupyter)
    check("ex3")     # runs the public checks in a fresh Python and shows a table
    pack()           # writes submission.zip, ready to upload

Every check runs `check.py` in a separate process, so the results are never stale, however
often you edit and re-run. Needs nothing but Python (IPython only to draw the tables).
"""

import html
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _modules():
    rubric = json.loads((HERE / "rubric.json").read_text(encoding="utf-8"))
    return {ex: info["module"] for ex, info in rubric["exercises"].items()}


def _show(html_text, plain_text):
    try:
        from IPython.display import HTML, display
    except ImportError:
        print(plain_text)
        return
    display(HTML(html_text))


def edit(exercise):
    """Open the exercise's module: the file you hand in (edits here are what gets graded)."""
    modules = _modules()
    if exercise not in modules:
        raise ValueError(f"unknown exercise {exercise!r}; choose from {', '.join(modules)}")
    path = HERE / "exercises" / exercise / f"{modules[exercise]}.py"
    try:
        from google.colab import files  # Colab: the file opens in the editor panel
    except ImportError:
        rel = path.relative_to(HERE).as_posix()
        _show(f'Open <a href="{html.escape(rel)}" target="_blank">{html.escape(rel)}</a> to edit it, '
              "save it, then run the check below.", f"Edit {path}, save it, then run the check below.")
        return path
    files.view(str(path))
    return path


def check(*exercises, timeout=60):
    """Run the public checks of these exercises (all by default), each in a fresh Python."""
    cmd = [sys.executable, str(HERE / "check.py"), *exercises, "--json", "--timeout", str(timeout)]
    run = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)
    if run.returncode != 0 or not run.stdout.strip():
        print(run.stdout + run.stderr)
        return None
    report = json.loads(run.stdout.strip().splitlines()[-1])
    rows, plain = [], []
    for r in report["rows"]:
        total = r["total"]
        checks = f"{r['passed']}/{total if total else '?'}"
        preview = f"~{r['points'] * r['passed'] / total:.3g}/{r['points']:g}" if total else f"?/{r['points']:g}"
        ok = bool(total) and r["passed"] == total
        rows.append(f"<tr><td>{'✅' if ok else '❌'} {html.escape(r['exercise'])}</td>"
                    f"<td>{html.escape(checks)}</td><td>{html.escape(preview)}</td>"
                    f"<td>{html.escape(r['problem'])}</td></tr>")
        plain.append(f"{r['exercise']:<5} {checks:<8} {preview:<10} {r['problem']}")
    notes = "".join(f"<li>{'error' if f['blocking'] else 'note'}: {html.escape(f['message'])}</li>"
                    for f in report["findings"])
    _show("<table><tr><th>exercise</th><th>public checks</th><th>points (preview)</th><th>problem</th></tr>"
          + "".join(rows) + "</table><p><i>A preview: the grader's hidden tests use other inputs.</i></p>"
          + (f"<p>Before you hand in:</p><ul>{notes}</ul>" if notes else ""),
          "\n".join(["exercise checks   points     problem", *plain,
                     *(f"  {f['message']}" for f in report["findings"])]))
    return report


def pack(output="submission.zip", force=False):
    """Pack your modules (and your own helper modules) into submission.zip, after the pre-flight."""
    cmd = [sys.executable, str(HERE / "pack_submission.py"), "-o", str(HERE / output), *(["--force"] if force else [])]
    run = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)
    print(run.stdout + run.stderr)
    return HERE / output if run.returncode == 0 else None
