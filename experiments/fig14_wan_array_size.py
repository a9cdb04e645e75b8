"""CiMLoop Fig. 14: Macro C's array size on max-utilization vs real DNNs.

Macro C (Wan et al., Nature 2022; ``configs/macros/wan_nature_2022.yaml``) is
one NeuRRAM core: an RRAM array whose every column has an integrate-and-fire
neuron and a variable-precision ADC, and whose every row has a wordline and
a driver. This study makes the array square, 64 x 64 to 1024 x 1024 cells
(``ARRAY_ROWS`` = ``ARRAY_COLS``), and evaluates each size on the
max-utilization layer (one layer that exactly fills the array) and on the
whole of ViT-B/16 (98 layers, attention products included), ResNet-18 (21)
and MobileNetV3-Large (64).

A bigger array amortises the per-column neuron/ADC and per-row driver energy
over more MACs, so at maximum utilization energy per MAC keeps falling with
array size. A real layer fills a big array only if its reduction (C x R x S,
on the rows) and its output channels (M, on the columns) are large: with
unused rows the same neuron/ADC energy is spread over fewer MACs, with
unused columns the wordline energy is. So on real DNNs the energy-optimal
array is smaller and depends on the network: MobileNetV3's depthwise
(C = 1 per group, 3x3 or 5x5 kernels) and narrow layers fill large arrays
worst, ViT's 768 x 768 / 768 x 3072 matmuls best. In this model the optimum
is 128 x 128 for MobileNetV3, 512 x 512 for ResNet-18 and still the largest
array for ViT (its weight layers fill 1024 x 1024 well enough that the
amortisation wins).

    python experiments/fig14_wan_array_size.py [--docs] [--address serial]

runs ``configs/sweeps/fig14_wan_array_size.yaml`` (5 designs, a grid; whole
networks: each 1024 x 1024 design takes about 25 s, the sweep 2-3 minutes
on 2 cores) into ``results/fig14_wan_array_size/`` (Parquet; the per-workload
numbers come from the layers table), plots energy per MAC and utilization
per workload into ``fig14_wan_array_size.png`` there (``--docs``: also
``docs/figures/``), and prints the table and the finding: the best array
size per workload and whether max-utilization energy falls monotonically.

The mapper uses perfect factorisations (as Timeloop, which CiMLoop drives):
a reduction of a prime size can only be split 1 x n. ViT's attention-times-
values product reduces over 197 tokens (prime), so on arrays with fewer than
197 rows (64, 128) it runs one row at a time and dominates the network's
energy; the summary prints its utilization so this is visible. A chip would
pad 197 to 4 x 64 rows instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _case_study import arguments, pyplot, run, save_figure  # noqa: E402
from _case_study import energy_table as _energy_table  # noqa: E402

NAME = "fig14_wan_array_size"
PARAM = "p.ARRAY_ROWS"
WORKLOADS = {"max_utilization": "Max utilization", "vit_b16": "ViT-B/16",
             "resnet18": "ResNet-18", "mobilenet_v3_large": "MobileNetV3-Large"}
#: Component groups: per-column neuron (CiMLoop wan_nature_2022: integrator,
#: sample, ADC, shift-add, column drivers), per-row input path, the cells.
GROUPS = {
    "Neuron + ADC (per column)": ("integrator", "sample", "adc", "shift_add", "column_drivers"),
    "Wordlines + row drivers": ("wordline_cap", "wordline_drivers", "row_drivers"),
    "RRAM cells": ("cell",),
    "Weight writes": ("weight_drivers",),
}
#: Layers whose utilization the summary reports (prime reduction size).
PRIME_LAYER = "encoder.layer.0.attention.av"


def energy_table(designs: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
    """One row per (workload, array size): energy per MAC (fJ) in total and per
    component group, and the cycle-weighted utilization."""
    return _energy_table(designs, layers, PARAM, "array", GROUPS)


def prime_layer_utilization(designs: pd.DataFrame, layers: pd.DataFrame) -> pd.Series:
    """Utilization of ViT's first attention-times-values product per array size."""
    size_of = designs.set_index("design_id")[PARAM]
    sel = layers[(layers["workload"] == "vit_b16") & (layers["layer"] == PRIME_LAYER)]
    return sel.set_index(sel["design_id"].map(size_of).astype(int))["utilization"].sort_index()


def vit_weight_layers(designs: pd.DataFrame, layers: pd.DataFrame) -> pd.Series:
    """ViT-B/16 energy per MAC (fJ) per array size without the attention
    products (``*.qk``, ``*.av``): the weight layers alone."""
    size_of = designs.set_index("design_id")[PARAM]
    sel = layers[(layers["workload"] == "vit_b16")
                 & ~layers["layer"].str.endswith((".qk", ".av"))]
    sums = sel.groupby(sel["design_id"].map(size_of).astype(int))[["energy_pj", "macs"]].sum()
    return (sums["energy_pj"] / sums["macs"] * 1e3).sort_index()


def finding(table: pd.DataFrame) -> dict:
    """Best array size per workload; max-utilization monotonicity; utilization
    at the largest array per workload."""
    best = {wl: int(table.loc[wl, "energy_per_mac_fj"].idxmin()) for wl in WORKLOADS}
    largest = int(table.index.get_level_values("array").max())
    mu = table.loc["max_utilization", "energy_per_mac_fj"]
    return {
        "best_array": best,
        "best_energy_per_mac_fj": {wl: float(table.loc[wl, "energy_per_mac_fj"].min())
                                   for wl in WORKLOADS},
        "max_util_monotonic": bool(mu.is_monotonic_decreasing),
        "max_util_gain": float(mu.iloc[0] / mu.iloc[-1]),
        "utilization_at_largest": {wl: float(table.loc[(wl, largest), "utilization"])
                                   for wl in WORKLOADS if wl != "max_utilization"},
        "largest": largest,
    }


def plot(table: pd.DataFrame, result: dict, vit_weights: pd.Series | None = None):
    plt = pyplot()
    colors = {"max_utilization": "black", "vit_b16": "#1f77b4", "resnet18": "#2ca02c",
              "mobilenet_v3_large": "#d62728"}
    fig, (ax_e, ax_u) = plt.subplots(1, 2, figsize=(10, 4))
    for wl, label in WORKLOADS.items():
        t = table.loc[wl]
        x = t.index.to_numpy()
        style = "--" if wl == "max_utilization" else "-"
        ax_e.plot(x, t["energy_per_mac_fj"], style, marker="o", color=colors[wl], label=label)
        best = result["best_array"][wl]
        ax_e.plot([best], [t.loc[best, "energy_per_mac_fj"]], marker="*", markersize=14,
                  color=colors[wl], linestyle="none")
        if wl != "max_utilization":
            ax_u.plot(x, t["utilization"], marker="o", color=colors[wl], label=label)
    if vit_weights is not None:
        ax_e.plot(vit_weights.index, vit_weights.to_numpy(), ":", color=colors["vit_b16"],
                  label="ViT-B/16 weight layers only")
        fig.text(0.01, -0.03, "ViT-B/16 at 64 and 128 rows: its attention x V products reduce "
                 "over 197 tokens (prime);\nwith perfect factorisation they use one row at a time "
                 "on arrays of fewer than 197 rows (dotted: ViT without the attention products).",
                 fontsize=7, color=colors["vit_b16"])
    for ax in (ax_e, ax_u):
        ax.set_xscale("log", base=2)
        ax.set_xticks(table.loc["max_utilization"].index.to_numpy())
        ax.set_xticklabels([f"{n}" for n in table.loc["max_utilization"].index])
        ax.set_xlabel("array rows = columns")
    ax_e.set_yscale("log")
    ax_e.set_ylabel("energy per MAC (fJ)  [star: best size]")
    ax_e.legend(fontsize=7, loc="lower left")
    ax_u.set_ylabel("utilization (fraction of the array used)")
    ax_u.set_ylim(0, 1.05)
    ax_u.legend(fontsize=8)
    fig.suptitle("Macro C (Wan, Nature 2022): array size, max-utilization vs DNNs")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = arguments(NAME, __doc__, argv)
    designs, layers = run(NAME, args)
    table = energy_table(designs, layers)
    with pd.option_context("display.width", 220, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(table.drop(columns="macs"))
    result = finding(table)
    for wl, label in WORKLOADS.items():
        print(f"best array on {label}: {result['best_array'][wl]} x {result['best_array'][wl]} "
              f"({result['best_energy_per_mac_fj'][wl]:.0f} fJ/MAC)")
    print(f"max-utilization energy per MAC falls monotonically with size: "
          f"{'yes' if result['max_util_monotonic'] else 'no'} "
          f"({result['max_util_gain']:.1f}x from smallest to largest)")
    print(f"utilization at {result['largest']} x {result['largest']}: " + ", ".join(
        f"{WORKLOADS[wl]} {u:.2f}" for wl, u in result["utilization_at_largest"].items()))
    prime = prime_layer_utilization(designs, layers)
    print(f"ViT {PRIME_LAYER} (reduces over 197 tokens, prime) utilization by size: "
          + ", ".join(f"{n}: {u:.3f}" for n, u in prime.items()))
    vit_weights = vit_weight_layers(designs, layers)
    result["vit_weight_layers_fj"] = {int(n): float(e) for n, e in vit_weights.items()}
    print("ViT-B/16 weight layers only (no attention products), fJ/MAC by size: "
          + ", ".join(f"{n}: {e:.0f}" for n, e in vit_weights.items()))
    save_figure(plot(table, result, vit_weights), NAME, args)
    return result


if __name__ == "__main__":
    main()
