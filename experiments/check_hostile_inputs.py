"""Every hostile input of the input-hardening issue against its bounds.

Runs each case of :mod:`hostile_inputs` (the ``cimdse`` command in a child
process capped at 1 GiB of heap) one after another, and prints per case the
wall time, the child's peak resident memory (``ru_maxrss``), whether it is
within the issue's 10 s / 1 GB bound (1 GiB here) and whether it ended cleanly (exit 2
with one located ``error:`` line, or a finite result for a valid input). The
last line is ``cases=… clean=… within_bounds=… max_wall_s=… max_rss_mib=…``;
the exit status is 1 when any case is unclean or out of bounds.

Usage: python experiments/check_hostile_inputs.py [--timeout S] [-k TEXT]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import hostile_inputs as hostile

MIB = 1 << 20


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3 * hostile.TIME_BOUND_S,
                        help="kill a case after this many seconds (default %(default)s)")
    parser.add_argument("-k", dest="only", default="",
                        help="run only the cases whose name contains this text")
    return parser.parse_args(argv)


def within_bounds(outcome: hostile.Outcome) -> bool:
    return (outcome.returncode is not None and outcome.wall_s <= hostile.TIME_BOUND_S
            and outcome.peak_rss_bytes <= hostile.MEMORY_BOUND_BYTES)


def report_line(case: hostile.Case, outcome: hostile.Outcome, found: list[str]) -> str:
    bound = "ok" if within_bounds(outcome) else "OVER"
    verdict = "clean" if not found else "; ".join(found)
    return (f"{case.name:<48} {outcome.wall_s:6.2f} s {outcome.peak_rss_bytes / MIB:7.0f} MiB"
            f"  {bound:<4}  {verdict}")


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    selected = [c for c in hostile.cases() if args.only in c.name]
    print(f"{'case':<48} {'wall':>8} {'peak RSS':>10}  bound: {hostile.TIME_BOUND_S:g} s, "
          f"{hostile.MEMORY_BOUND_BYTES / MIB:.0f} MiB")
    outcomes, clean = [], 0
    for case in selected:
        with tempfile.TemporaryDirectory() as workdir:
            outcome = hostile.run_case(case, Path(workdir), args.timeout)
            found = hostile.problems(case, outcome, Path(workdir))
        print(report_line(case, outcome, found), flush=True)
        outcomes.append(outcome)
        clean += not found
    bounded = sum(within_bounds(o) for o in outcomes)
    print(f"cases={len(outcomes)} clean={clean} within_bounds={bounded} "
          f"max_wall_s={max((o.wall_s for o in outcomes), default=0):.2f} "
          f"max_rss_mib={max((o.peak_rss_bytes for o in outcomes), default=0) / MIB:.0f}")
    return 0 if clean == bounded == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
