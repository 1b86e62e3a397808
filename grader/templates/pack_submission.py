#!/usr/bin/env python3
"""Pack your exercise files into submission.zip, ready to upload.

    python pack_submission.py                 # writes submission.zip next to this script
    python pack_submission.py -o my.zip
    python pack_submission.py --force         # pack even a module that cannot be imported

Each exercise's module goes in (exercises/exN/<module>.py), with any helper modules of your
own beside it (exercises/exN/helpers.py); tests, notebooks, data and anything else stay out.
It first checks what the grader will see (intake.py) and refuses to pack a module that cannot
even be imported. Needs nothing but Python.
"""

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# BEGIN MODULES: `cnn-grader release` replaces these lines with the list of
# grader/sandboxed/layout.py and an import of intake.py, so the bundle's copy needs nothing but Python.
from grader import intake
from grader.sandboxed.layout import MODULES
# END MODULES


def main(argv=None):
    parser = argparse.ArgumentParser(description="Pack your exercises into submission.zip.")
    parser.add_argument("-o", "--output", default=str(HERE / "submission.zip"), help="where to write the zip")
    parser.add_argument("--force", action="store_true", help="pack even modules that cannot be imported")
    args = parser.parse_args(argv)
    root = HERE / "exercises"
    found = intake.scan(root, MODULES)
    findings = intake.preflight(lambda rel: (root / rel).read_bytes(), found, MODULES)
    blocking = [f for f in findings if f.blocking]
    if blocking and not args.force:
        print("not packed: the grader could not import these files (fix them, or pack anyway with --force):")
        for finding in blocking:
            print(f"  error: {finding.message}")
        return 1
    output = Path(args.output).resolve()
    packed = write_zip(output, root, found)
    helpers = sum(len(f.helpers) for f in found.exercises.values() if f.module)
    print(f"wrote {output} with {len(packed)} of {len(MODULES)} exercise files"
          + (f" (and {helpers} helper module{'s' * (helpers != 1)})" if helpers else ""))
    for finding in findings:
        print(f"  {'error' if finding.blocking else 'note'}: {finding.message}")
    if blocking:
        print(f"WARNING: packed with --force: {len(blocking)} problem(s) above will cost points")
    print("Upload this zip file to hand in. Good luck!")
    return 0


def write_zip(output, root, found):
    """Each exercise's module under its expected name and its helpers beside it; atomically."""
    packed = []
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".submission-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for exercise, files in found.exercises.items():
                if files.module is None:
                    continue
                names = [(files.module, f"{MODULES[exercise]}.py")] + [(h, Path(h).name) for h in files.helpers]
                for rel, name in names:
                    info = zipfile.ZipInfo(f"exercises/{exercise}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
                    info.external_attr = 0o644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, (root / rel).read_bytes())
                packed.append(files.module)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return packed


if __name__ == "__main__":
    sys.exit(main())
