"""``python -m scenarios.imports KIND FILE... [--strict]``: print the scenario fragment.

KIND is ``sloth``, ``pyrra``, ``openslo`` or ``rules``. Exit 0 when everything mapped (or
only warnings, each one line on stderr), 2 for an unreadable or malformed file, or for
warnings with ``--strict``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from bus.text import printable
from scenarios.imports import KINDS, import_files
from scenarios.loader import ScenarioError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, printable(f"{self.prog}: error: {message} (see --help)") + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m scenarios.imports",
        description="Print the scenario fragment (services, slos, severities) that SLO specs or rule files make.",
        epilog="example: python -m scenarios.imports sloth slos/payments.yml > payments.fragment.yaml",
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--strict", action="store_true", help="treat what cannot be mapped as an error (exit 2)")
    args = parser.parse_args(argv)
    try:
        fragment = import_files(args.files, args.kind)
    except ScenarioError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    for line in fragment.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if fragment.warnings and args.strict:
        print(f"error: {len(fragment.warnings)} thing(s) could not be mapped (--strict)", file=sys.stderr)
        return 2
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.write(fragment.to_yaml(f"imported-{args.kind}"))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
