"""`cnn-grader` command line: a thin layer over `grader.api`."""

from __future__ import annotations

import argparse
import sys

from . import __version__, api


def _grade(args):
    result = api.grade(args.submission, isolation=args.isolation)
    if args.json:
        api.write_json(result, args.json)
    if args.gradescope:
        from .gradescope import to_gradescope

        api.write_json(to_gradescope(result), args.gradescope)
    from .feedback import score_table

    print(score_table([result]))
    print(f"isolation: {result['isolation']}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="cnn-grader", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cnn-grader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade one submission (folder or .zip)")
    grade.add_argument("submission")
    grade.add_argument("--json", metavar="FILE", help="write result.json here")
    grade.add_argument("--gradescope", metavar="FILE", help="write Gradescope's results.json here")
    grade.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox",
                       help="inprocess runs student code in this process: only for trusted code")
    grade.set_defaults(run=_grade)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError) as exc:
        print(f"cnn-grader: error: {exc}", file=sys.stderr)
        return 2
