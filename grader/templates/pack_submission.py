#!/usr/bin/env python3
"""Pack your exercise files into submission.zip, ready to upload.

    python pack_submission.py                 # writes submission.zip next to this script
    python pack_submission.py -o my.zip

Only the exercise modules go in (exercises/exN/<module>.py); tests, notebooks, data and
anything else stay out. Needs nothing but Python.
"""

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

# BEGIN MODULES: `cnn-grader release` replaces these lines with the list of
# grader/sandboxed/layout.py, so the bundle's copy needs nothing but Python.
from grader.sandboxed.layout import MODULE_FILES as MODULES
# END MODULES
HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(description="Pack your exercises into submission.zip.")
    parser.add_argument("-o", "--output", default=str(HERE / "submission.zip"), help="where to write the zip")
    args = parser.parse_args(argv)
    output = Path(args.output).resolve()
    packed, notes = [], []
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".submission-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for exercise, module in MODULES.items():
                path = HERE / "exercises" / exercise / module
                rel = f"{exercise}/{module}"
                if path.is_symlink() or not path.is_file():
                    notes.append(f"{rel}: not found, so {exercise} counts as not started")
                    continue
                data = path.read_bytes()
                try:
                    source = data.decode("utf-8")
                    compile(source, str(path), "exec")
                except UnicodeDecodeError:
                    notes.append(f"{rel}: is not UTF-8 text; the grader will not be able to read it")
                except SyntaxError as err:
                    notes.append(f"{rel}: syntax error on line {err.lineno} ({err.msg}); {exercise} will get 0 points")
                else:
                    stubs = sum(line.strip().startswith("raise NotImplementedError")
                                for line in source.splitlines())
                    if stubs:
                        notes.append(f"{rel}: still has {stubs} `raise NotImplementedError` (not finished yet?)")
                info = zipfile.ZipInfo(f"exercises/{exercise}/{module}", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
                packed.append(rel)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {output} with {len(packed)} of {len(MODULES)} exercise files")
    for note in notes:
        print(f"  note: {note}")
    print("Upload this zip file to hand in. Good luck!")
    return 0


if __name__ == "__main__":
    sys.exit(main())
