"""Shared plumbing of the case-study scripts in ``experiments/``.

Each case study is a sweep file ``configs/sweeps/<name>.yaml`` run through
:func:`cimdse.dse.run_sweep` into ``results/<name>/`` (Parquet), read back
with :func:`cimdse.read_results`, plotted to ``results/<name>/<name>.png``
and, with ``--docs``, copied to ``docs/figures/<name>.png``.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import pandas as pd

import cimdse
from cimdse.dse import run_sweep

REPO = Path(__file__).resolve().parents[1]
SWEEPS = REPO / "configs" / "sweeps"
DOCS_FIGURES = REPO / "docs" / "figures"


def sweep_file(name: str) -> Path:
    return SWEEPS / f"{name}.yaml"


def arguments(name: str, doc: str, argv: list[str] | None = None) -> argparse.Namespace:
    """The common command line of a case-study script."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "results" / name,
                        help=f"results directory (default: results/{name}); an earlier "
                             "run of the study there is replaced")
    parser.add_argument("--docs", action="store_true",
                        help=f"also copy the figure to docs/figures/{name}.png")
    parser.add_argument("--address", default=None,
                        help="Ray address ('auto' joins a running cluster) or 'serial' to "
                             "evaluate in this process (default: start a local Ray)")
    parser.add_argument("--num-cpus", type=int, default=None,
                        help="CPUs of the local Ray (default: all)")
    parser.add_argument("--no-run", action="store_true",
                        help="do not run the sweep; plot the results already in --out")
    return parser.parse_args(argv)


def run(name: str, args: argparse.Namespace):
    """Run the study's sweep (unless ``--no-run``) and return ``(designs, layers)``:
    one row per design and one per design x workload layer."""
    out = Path(args.out)
    pyplot()                    # fail before a long sweep if matplotlib is missing
    if not args.no_run:
        _clear(out)
        t0 = time.perf_counter()
        summary = run_sweep(sweep_file(name), out, address=args.address,
                            num_cpus=args.num_cpus)
        print(f"sweep {name}: {sum(summary.counts.values())} designs "
              f"({', '.join(f'{k} {v}' for k, v in sorted(summary.counts.items()))}) "
              f"in {time.perf_counter() - t0:.1f} s on {summary.executor} "
              f"({summary.cpus} CPUs) -> {out}")
    designs = cimdse.read_results(out)
    bad = designs[designs["status"] != "ok"]
    if len(bad):
        raise SystemExit(f"{len(bad)} design(s) of {name} did not evaluate:\n"
                         + "\n".join(f"  {r.design_id}: {r.error}" for r in bad.itertuples()))
    return designs, cimdse.read_results(out, layers=True)


def _clear(out: Path) -> None:
    """Remove an earlier run of a study (a directory holding a sweep's results)."""
    if not out.exists():
        return
    if not (out / "sweep.yaml").exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and does not hold sweep results; choose another --out")
    shutil.rmtree(out)


def save_figure(fig, name: str, args: argparse.Namespace) -> Path:
    """Save ``fig`` as ``<out>/<name>.png``; with ``--docs`` copy it to docs/figures/."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    print(f"figure: {path}")
    if args.docs:
        DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_FIGURES / path.name)
        print(f"figure: {DOCS_FIGURES / path.name}")
    return path


def pyplot():
    """matplotlib.pyplot with a non-interactive backend (``pip install -e '.[plot]'``)."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("plotting needs matplotlib: pip install -e '.[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def energy_table(designs: pd.DataFrame, layers: pd.DataFrame, param: str, label: str,
                 groups: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """One row per (workload, value of the swept parameter ``param``, named
    ``label``): energy per MAC (fJ) in total and per component group
    (``{group: component names}``; the rest is "Other"), and the
    cycle-weighted utilization, from the per-layer results."""
    value_of = designs.set_index("design_id")[param]
    df = layers.assign(**{label: layers["design_id"].map(value_of).astype(int)})
    comps = [c for c in df.columns if c.startswith("e.")]
    df = df.assign(util_cycles=df["utilization"] * df["cycles"])
    sums = df.groupby(["workload", label])[["energy_pj", "macs", "cycles", "util_cycles",
                                            *comps]].sum()
    out = pd.DataFrame(index=sums.index)
    out["energy_per_mac_fj"] = sums["energy_pj"] / sums["macs"] * 1e3
    grouped = set()
    for group, members in groups.items():
        cols = [f"e.{m}" for m in members if f"e.{m}" in sums]
        grouped.update(cols)
        out[f"{group} (fJ/MAC)"] = sums[cols].sum(axis=1) / sums["macs"] * 1e3
    rest = [c for c in comps if c not in grouped]
    if rest:
        out["Other (fJ/MAC)"] = sums[rest].sum(axis=1) / sums["macs"] * 1e3
    out["utilization"] = sums["util_cycles"] / sums["cycles"]
    out["macs"] = sums["macs"]
    return out.sort_index()
