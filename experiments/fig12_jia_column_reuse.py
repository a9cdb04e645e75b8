"""CiMLoop Fig. 12: reusing Macro A's outputs across 1-8 adjacent columns.

Macro A (Jia et al., JSSC 2020; ``configs/macros/jia_jssc_2020.yaml``) sums
three adjacent columns onto one output, so one 8b ADC conversion covers
3 x 768 = 2304 1b x 1b products. This study varies the number of adjacent
columns that share an output (``N_FOLDED_COLUMNS`` = 1..8) while the array
stays 768 x 768 cells (4 x (192 // N) ADCs) and evaluates each design on the
max-utilization layer (a layer that exactly fills the hardware) and on the
whole of ResNet-18.

Folding columns trades input reuse for output reuse. Each output conversion
(ADC, column readout, shift-add, output datapath) is amortised over N times
more MACs, so at maximum utilization output-processing energy per MAC falls
as 1/N; but each input now reaches N times fewer columns, so input processing
(zero gating, row drivers) per MAC grows as N. In this model the two cross
near N = 3-4, so max-utilization energy per MAC is lowest at three to four
columns (within about 1 % of each other) rather than falling all the way to
eight.

On ResNet-18 the output savings stop early: a layer's C x R x S reduction
must factor exactly onto the folded columns and the 768 rows. ResNet-18 is
made of 3x3 kernels, so three columns fold one kernel dimension (R or S = 3)
and the rows hold C x 3 products -- a 3x3x256 kernel fills 3 columns x 768
rows, one conversion per output -- while four or more columns must split C,
leaving rows idle and, with 4 x (192 // N) ADC columns, fewer of the
power-of-two output channels side by side (more input traffic per MAC).
Three-column reuse is the most energy-efficient design on ResNet-18, as in
the paper.

    python experiments/fig12_jia_column_reuse.py [--docs] [--address serial]

runs ``configs/sweeps/fig12_jia_column_reuse.yaml`` (8 designs, a grid; about
a minute on 2 cores) into ``results/fig12_jia_column_reuse/`` (Parquet; the
per-workload numbers come from the layers table), plots energy per MAC by
component group for both workloads into ``fig12_jia_column_reuse.png`` there
(``--docs``: also ``docs/figures/``), and prints the table and the finding:
the number of columns that minimises energy per MAC on ResNet-18 (the paper:
three, uniquely) and how energy per MAC moves with N at maximum utilization.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _case_study import arguments, pyplot, run, save_figure  # noqa: E402
from _case_study import energy_table as _energy_table  # noqa: E402

NAME = "fig12_jia_column_reuse"
PARAM = "p.N_FOLDED_COLUMNS"
WORKLOADS = {"max_utilization": "Max utilization", "resnet18": "ResNet-18"}
#: Component groups of the figure (the grouping of the CiMLoop artifact's
#: column-folding exploration, mit-emze/cimloop jia_jssc_2020 _tests.py).
GROUPS = {
    "Output processing": ("adc", "column_drivers", "shift_add", "out_datapath"),
    "Input processing": ("row_drivers", "input_zero_gating"),
    "Array (cells, capacitors)": ("cell", "bitcell_capacitor"),
    "Weight writes": ("weight_drivers",),
}


def energy_table(designs: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
    """One row per (workload, columns sharing an output): energy per MAC (fJ) in total and per
    component group, and the cycle-weighted utilization."""
    return _energy_table(designs, layers, PARAM, "n_columns", GROUPS)


def finding(table: pd.DataFrame) -> dict:
    """The qualitative finding: best N per workload, and how max-utilization
    energy and its output / input processing parts move with N."""
    res = table.loc["resnet18", "energy_per_mac_fj"]
    mu = table.loc["max_utilization"]
    ranked = res.sort_values()
    best, second = int(ranked.index[0]), int(ranked.index[1])
    out_proc = mu["Output processing (fJ/MAC)"]
    in_proc = mu["Input processing (fJ/MAC)"]
    return {
        "best_resnet18": best,
        "best_resnet18_fj": float(ranked.iloc[0]),
        "second_resnet18": second,
        "second_resnet18_fj": float(ranked.iloc[1]),
        "margin_resnet18": float(ranked.iloc[1] / ranked.iloc[0] - 1),
        "best_max_utilization": int(mu["energy_per_mac_fj"].idxmin()),
        "max_util_monotonic": bool(mu["energy_per_mac_fj"].is_monotonic_decreasing),
        "max_util_output_processing_falls": bool(out_proc.is_monotonic_decreasing),
        "max_util_input_processing_rises": bool(in_proc.is_monotonic_increasing),
    }


def plot(table: pd.DataFrame):
    plt = pyplot()
    groups = [c for c in table.columns if c.endswith("(fJ/MAC)")]
    colors = ["#d62728", "#1f77b4", "#7f7f7f", "#bcbd22", "#9467bd"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.3))
    for ax, (wl, title) in zip(axes, WORKLOADS.items()):
        t = table.loc[wl]
        x = t.index.to_numpy()
        bottom = 0
        for group, color in zip(groups, colors):
            ax.bar(x, t[group], bottom=bottom, color=color, label=group.replace(" (fJ/MAC)", ""))
            bottom = bottom + t[group].to_numpy()
        best = int(t["energy_per_mac_fj"].idxmin())
        ax.annotate("best", (best, t.loc[best, "energy_per_mac_fj"]), ha="center",
                    va="bottom", xytext=(0, 3), textcoords="offset points", fontweight="bold")
        ax.set_title(title)
        ax.set_xticks(x)
        ax.set_xlabel("adjacent columns sharing one output (ADC)")
        ax.set_ylabel("energy per MAC (fJ)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle("Macro A (Jia, JSSC 2020): output reuse across adjacent columns")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = arguments(NAME, __doc__, argv)
    designs, layers = run(NAME, args)
    table = energy_table(designs, layers)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.2f}".format):
        print(table.drop(columns="macs"))
    result = finding(table)
    print(f"best on resnet18: {result['best_resnet18']} columns "
          f"({result['best_resnet18_fj']:.1f} fJ/MAC; next best {result['second_resnet18']} "
          f"columns, {result['second_resnet18_fj']:.1f} fJ/MAC, "
          f"+{100 * result['margin_resnet18']:.1f} %)")
    print(f"max-utilization: best {result['best_max_utilization']} columns; monotonic: "
          f"{'yes' if result['max_util_monotonic'] else 'no'}; output processing falls with N: "
          f"{'yes' if result['max_util_output_processing_falls'] else 'no'}; input processing "
          f"rises with N: {'yes' if result['max_util_input_processing_rises'] else 'no'}")
    save_figure(plot(table), NAME, args)
    return result


if __name__ == "__main__":
    main()
