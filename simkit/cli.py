"""The ``simkit`` command line."""

from __future__ import annotations

import argparse
import sys

from .allocator import AddressSpace
from .errors import DomainError


def _demo(args: argparse.Namespace) -> int:
    space = AddressSpace(name="docs")
    space.add_cidr("198.51.100.0/24")
    print("pool docs: 198.51.100.0/24, four /26 requests and a fifth")
    for i in range(5):
        try:
            print(f"  request {i + 1}: /26 -> {space.allocate(26)}")
        except DomainError as err:
            print(f"  request {i + 1}: /26 -> {err.code}")
    print(f"utilisation {space.utilisation:.1%} "
          f"({space.allocated_ips}/{space.provisioned_ips} IPs)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a small allocation example")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
