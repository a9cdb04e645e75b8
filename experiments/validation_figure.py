"""Model vs published figures of every macro (``cimdse validate --json``).

Writes ``docs/figures/validation.png``: one log-log panel per macro, model
value against published value in the row's own unit, the y = x line and the
+-5 % band; prediction rows filled, calibration rows hollow, derived
(circular) rows crossed, one colour per metric family. With ``--docs`` it
also rewrites the validation table of README.md between the marker comments
``<!-- validation-table:start -->`` and ``<!-- validation-table:end -->``.

    python experiments/validation_figure.py [--report FILE.json] [--docs]

``--report`` reads a saved ``cimdse validate --json``; without it the script
runs the validation itself (the same report).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

REPO = Path(__file__).resolve().parents[1]
FIGURE = REPO / "docs" / "figures" / "validation.png"
README = REPO / "README.md"
START, END = "<!-- validation-table:start -->", "<!-- validation-table:end -->"
BAND = 0.05          # the prediction-row bound of every gated family
FAMILY_COLOURS = {"energy_efficiency": "tab:blue", "throughput": "tab:orange",
                  "energy_breakdown": "tab:green", "area_breakdown": "tab:red",
                  "compute_density": "tab:purple"}


def load_report(path: Path | None) -> dict[str, Any]:
    """A ``cimdse validate --json`` report: read from ``path``, else run the command."""
    if path is not None:
        return json.loads(path.read_text())
    done = subprocess.run([sys.executable, "-m", "cimdse.cli", "validate", "--json"],
                          cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


# -- figure ---------------------------------------------------------------------------------

def plot(report: Mapping[str, Any], path: Path) -> None:
    """Per macro: model vs published (log-log, y = x, +-5 % band) above the
    signed error in % of the published value (the +-5 % band resolved)."""
    plt = _pyplot()
    macros = sorted({r["macro"] for r in report["rows"]})
    ncols = min(3, len(macros))
    nrows = math.ceil(len(macros) / ncols)
    fig, axes = plt.subplots(2 * nrows, ncols, figsize=(4.8 * ncols, 6.2 * nrows),
                             squeeze=False, gridspec_kw={"height_ratios": [3, 1.3] * nrows})
    for i, macro in enumerate(macros):
        row, col = divmod(i, ncols)
        rows = [r for r in report["rows"] if r["macro"] == macro]
        _scatter_panel(axes[2 * row, col], macro, rows)
        _error_panel(axes[2 * row + 1, col], rows)
    for i in range(len(macros), nrows * ncols):
        row, col = divmod(i, ncols)
        axes[2 * row, col].axis("off")
        axes[2 * row + 1, col].axis("off")
    fig.suptitle("cimdse model vs published silicon figures (each row in its own unit)")
    fig.tight_layout(rect=(0, 0.07, 1, 0.98))
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=5, frameon=False,
               fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    print(f"figure: {path}")


def _mark(ax, r: Mapping[str, Any], x: float, y: float) -> None:
    colour = FAMILY_COLOURS.get(r["family"], "black")
    if r["group"] == "derived":
        ax.scatter(x, y, marker="x", color=colour, s=40, zorder=3)
    elif r["group"] == "calibration":
        ax.scatter(x, y, facecolors="none", edgecolors=colour, s=36, zorder=3)
    else:
        ax.scatter(x, y, color=colour, s=30, zorder=3)


def _limits(rows: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    values = [v for r in rows for v in (abs(r["reference"]), abs(r["model"])) if v > 0]
    return min(values) / 2, max(values) * 2


def _scatter_panel(ax, macro: str, rows: Sequence[Mapping[str, Any]]) -> None:
    lo, hi = _limits(rows)
    line = [lo, hi]
    ax.fill_between(line, [v * (1 - BAND) for v in line], [v * (1 + BAND) for v in line],
                    color="0.8", lw=0)
    ax.plot(line, line, color="0.3", lw=0.8)
    for r in rows:
        _mark(ax, r, abs(r["reference"]), abs(r["model"]))
    ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), title=macro)
    ax.set_ylabel("model value [same unit as published]", fontsize=8)
    ax.tick_params(labelsize=7)


def _error_panel(ax, rows: Sequence[Mapping[str, Any]]) -> None:
    lo, hi = _limits(rows)
    ax.axhspan(-100 * BAND, 100 * BAND, color="0.8", lw=0)
    ax.axhline(0, color="0.3", lw=0.8)
    for r in rows:
        _mark(ax, r, abs(r["reference"]), 100 * r["error"])
    worst = max([100 * abs(r["error"]) for r in rows] + [10.0])
    ax.set(xscale="log", xlim=(lo, hi), ylim=(-1.15 * worst, 1.15 * worst))
    units = ", ".join(sorted({_short_unit(r["unit"]) for r in rows}))
    ax.set_xlabel(f"published value [{units}]", fontsize=8)
    ax.set_ylabel("model error [%]", fontsize=8)
    ax.tick_params(labelsize=7)


def _short_unit(unit: str) -> str:
    return unit.split(" (")[0] or "-"


def _legend_handles() -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Line2D([], [], ls="", marker="o", color="0.2", label="prediction row"),
               Line2D([], [], ls="", marker="o", mfc="none", color="0.2",
                      label="calibration row"),
               Line2D([], [], ls="", marker="x", color="0.2", label="derived (circular) row"),
               Patch(color="0.85", label=f"y = x \u00b1{BAND:.0%}")]
    handles += [Line2D([], [], ls="", marker="o", color=c, label=f.replace("_", " "))
                for f, c in FAMILY_COLOURS.items()]
    return handles


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("plotting needs matplotlib: pip install -e '.[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


# -- README table ---------------------------------------------------------------------------

def table(report: Mapping[str, Any]) -> str:
    """Markdown table: per family (all macros), then per macro and family,
    prediction and calibration rows apart."""
    lines = ["| macro | family | prediction rows: mean abs. error (rows) "
             "| calibration rows: mean abs. error (rows) | derived rows | bound on prediction |",
             "| --- | --- | --- | --- | --- | --- |"]
    for fam, s in report["families"].items():
        lines.append(_table_line("**all macros**", fam, s))
    for name, m in report["macros"].items():
        lines += [_table_line(name, fam, s) for fam, s in m["families"].items()]
    return "\n".join(lines)


def _table_line(macro: str, family: str, s: Mapping[str, Any]) -> str:
    bound = "-" if s["bound"] is None else f"{s['bound']:.0%}".replace("%", " %")
    verdict = {None: "", True: " (ok)", False: " (**over**)"}[s["within_bound"]]
    return (f"| {macro} | {family.replace('_', ' ')} | {_cell(s['prediction'])} "
            f"| {_cell(s['calibration'])} | {s['n_derived'] or '-'} | {bound}{verdict} |")


def _cell(stats: Mapping[str, Any]) -> str:
    if not stats["n"]:
        return "-"
    return f"{stats['mean_abs_error']:.1%} ({stats['n']})".replace("%", " %")


def rewrite_readme(report: Mapping[str, Any], readme: Path = README) -> None:
    text = readme.read_text()
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme.name} has no {START} ... {END} markers")
    body = f"{START}\n{table(report)}\n{END}"
    readme.write_text(pattern.sub(lambda _: body, text, count=1))
    print(f"table: {readme}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, default=None,
                        help="a saved `cimdse validate --json` (default: run it)")
    parser.add_argument("--figure", type=Path, default=FIGURE,
                        help="output PNG (default: docs/figures/validation.png)")
    parser.add_argument("--docs", action="store_true",
                        help="also rewrite the validation table of README.md")
    args = parser.parse_args(argv)
    report = load_report(args.report)
    plot(report, args.figure)
    if args.docs:
        rewrite_readme(report)
    else:
        print(table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
