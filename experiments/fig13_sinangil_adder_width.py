"""CiMLoop Fig. 13: Macro B's analog adder width vs weight bits, compute density.

Macro B (Sinangil et al., JSSC 2021; ``configs/macros/sinangil_jssc_2021.yaml``)
stores one 4b weight in a CiM unit of 4 adjacent cells and sums the unit's 4
weight-bit bitlines with binary-weighted capacitors (1, 2, 4, 8 x 1 fF), an
analog adder, before one 4b ADC per column. This study varies the adder width
(``CIM_UNIT_WIDTH_CELLS`` = 1, 2, 4, 8 cells) while the array stays 64 x 64
cells (64 / width columns, each with its ADC and 1 fF x 2^width of weighting
capacitors) and the weights from 1 to 8 bits, and reports compute density
(TOPS/mm^2) on the max-utilization layer.

A wider adder holds more bits of a weight in one column: a weight of B bits
takes ceil(B / width) columns, so the array computes 64 x (64 / width) /
ceil(B / width) MACs per cycle, read by fewer ADCs (the largest area). When
B < width the unit's extra cells hold nothing: throughput drops with no area
saved. So the best width tracks the weight bits -- until the binary-weighting
capacitors, which grow as 2^width, outweigh the ADCs saved: the 8-wide adder
is never the densest.

    python experiments/fig13_sinangil_adder_width.py [--docs] [--address serial]

runs ``configs/sweeps/fig13_sinangil_adder_width.yaml`` (a 4 x 8 grid; seconds)
into ``results/fig13_sinangil_adder_width/`` (Parquet), plots TOPS/mm^2 per
weight bits and adder width, and the area of each width, into
``fig13_sinangil_adder_width.png`` there (``--docs``: also ``docs/figures/``),
and prints the table and the finding: the densest width for each weight
precision.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _case_study import arguments, pyplot, run, save_figure  # noqa: E402

NAME = "fig13_sinangil_adder_width"
WIDTH, BITS = "p.CIM_UNIT_WIDTH_CELLS", "p.WEIGHT_BITS"
#: Area groups of the right-hand panel.
AREA_GROUPS = {"ADCs": ("adc",), "binary-weighting capacitors": ("binary_weighting_capacitors",)}


def density_table(designs: pd.DataFrame) -> pd.DataFrame:
    """TOPS/mm^2: one row per weight bits, one column per adder width."""
    return designs.pivot_table(index=BITS, columns=WIDTH, values="tops_per_mm2").sort_index()


def area_table(designs: pd.DataFrame) -> pd.DataFrame:
    """Macro area (um^2) by group, one row per adder width (area does not depend on
    the weight bits)."""
    rows = {}
    for width, group in designs.groupby(WIDTH):
        d = group.iloc[0]
        parts = {c[len("area."):]: float(d[c]) for c in designs.columns
                 if c.startswith("area.") and pd.notna(d[c])}
        scale = d["area_mm2"] * 1e6 / sum(parts.values())    # the parts, in um^2
        row = {}
        for name, members in AREA_GROUPS.items():
            row[f"{name} (um2)"] = sum(parts.pop(m, 0.0) for m in members) * scale
        row["rest of the macro (um2)"] = sum(parts.values()) * scale
        row["area_mm2"] = d["area_mm2"]
        rows[int(width)] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("adder width (cells)")


def finding(density: pd.DataFrame) -> dict:
    """Densest width per weight bits; whether the widest adder is ever the densest."""
    best = {int(b): int(density.loc[b].idxmax()) for b in density.index}
    widths = sorted(int(w) for w in density.columns)
    # the width that fits the weight: the narrowest adder holding all its bits
    fits = {b: next((w for w in widths if w >= b), widths[-1]) for b in best}
    return {
        "best_width": best,
        "best_tops_per_mm2": {int(b): float(density.loc[b].max()) for b in density.index},
        "widest_ever_best": widths[-1] in best.values(),
        "tracks_weight_bits": all(best[b] == fits[b] for b in best if fits[b] != widths[-1]),
    }


def plot(density: pd.DataFrame, areas: pd.DataFrame):
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.3), gridspec_kw={"width_ratios": [2.3, 1]})
    bits = density.index.to_numpy()
    widths = list(density.columns)
    step = 0.8 / len(widths)
    colors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"]
    for i, (w, color) in enumerate(zip(widths, colors)):
        ax.bar(bits + (i - (len(widths) - 1) / 2) * step, density[w], step, color=color,
               label=f"{int(w)}-cell adder")
    best = density.to_numpy().argmax(axis=1)
    for x, j in zip(bits, best):
        ax.plot(x + (j - (len(widths) - 1) / 2) * step, density.iloc[x - bits[0], j] * 1.04,
                marker="*", color="black", markersize=9)
    ax.set_xticks(bits)
    ax.set_xlabel("weight bits")
    ax.set_ylabel("compute density (TOPS/mm$^2$)")
    ax.set_title("Compute density (max utilization); * = densest")
    ax.legend(fontsize=8)
    bottom = np.zeros(len(areas))
    x = np.arange(len(areas))
    for col, color in zip([c for c in areas.columns if c.endswith("(um2)")],
                          ["#9467bd", "#8c564b", "#c7c7c7"]):
        ax2.bar(x, areas[col], bottom=bottom, color=color, label=col.replace(" (um2)", ""))
        bottom += areas[col].to_numpy()
    ax2.set_xticks(x, [str(w) for w in areas.index])
    ax2.set_xlabel("adder width (cells)")
    ax2.set_ylabel("macro area ($\\mu$m$^2$)")
    ax2.set_title("Area")
    ax2.legend(fontsize=8)
    fig.suptitle("Macro B (Sinangil, JSSC 2021): analog adder width vs weight bits")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = arguments(NAME, __doc__, argv)
    designs, _ = run(NAME, args)
    density = density_table(designs)
    areas = area_table(designs)
    with pd.option_context("display.width", 200, "display.max_columns", 10,
                           "display.float_format", "{:.4g}".format):
        print("TOPS/mm^2 (rows: weight bits, columns: adder width in cells)")
        print(density)
        print(areas)
    result = finding(density)
    print("densest adder width per weight bits: "
          + ", ".join(f"{b}b->{w}" for b, w in result["best_width"].items()))
    print(f"best width tracks weight bits: {'yes' if result['tracks_weight_bits'] else 'no'}; "
          f"widest ({int(max(density.columns))}-cell) adder ever densest: "
          f"{'yes' if result['widest_ever_best'] else 'no'}")
    save_figure(plot(density, areas), NAME, args)
    return result


if __name__ == "__main__":
    main()
