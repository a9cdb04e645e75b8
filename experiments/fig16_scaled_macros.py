"""CiMLoop Fig. 16: Macros A, B and D on common ground, over input x weight bits.

Three SRAM CiM macros with different ways of handling operand bits:

* Macro A (Jia et al., JSSC 2020): bit-serial inputs and bit-sliced weights
  (one bit per cell, one input bit per cycle); 8b ADCs read 3 x 768 rows.
* Macro B (Sinangil et al., JSSC 2021): inputs as pulse trains of up to 4b
  (up to 15 pulses) and 4b weights in 4-cell units summed by binary-weighted
  capacitors; wider operands take several slices (passes / columns).
* Macro D (Wang et al., VLSI 2022): an 8b R-2R DAC per input and an 8b C-2C
  ladder per weight: the analog hardware is 8b wide whatever the operands.

Their published figures differ in technology (65, 7, 22 nm), cells and ADCs.
To compare the architectures, each runs with the same 7 nm node and 0.8 V,
the same SRAM cell and the same 8b ADC (the overrides in
``configs/sweeps/fig16_scaled_macros_{a,b,d}.yaml``), on the max-utilization
layer, for 1-8 input bits x 1-8 weight bits (64 designs per macro).

    python experiments/fig16_scaled_macros.py [--docs] [--address serial]

runs the three sweeps (192 designs, a grid; about a minute on 2 cores) into
``results/fig16_scaled_macros/macro_{a,b,d}/`` (Parquet), plots one heat
map of energy per MAC per macro plus a map of which macro is best at each
(input, weight) bit width into ``results/fig16_scaled_macros/
fig16_scaled_macros.png`` (``--docs``: also ``docs/figures/``), and prints
the tables and the finding: how each macro scales with bits, and which macro
is best where. The paper's point is that an architecture's merit depends on
the operand precision: bit-serial Macro A grows ~linearly in both bit
widths and wins at low precision; Macro B's 4b pulse/unit hardware is flat
up to 4b and steps beyond; Macro D's 8b DAC and ladder cost about the same
at every precision.

What this model gives (max-utilization layer): A is best at low precision
(1.8 fJ/MAC at 1b x 1b) and grows ~57x to 8b x 8b; B is flat up to 4b x 4b
(~6 fJ/MAC) and best at most bit widths; D stays within 16-40 fJ/MAC at
every precision (its R-2R input DAC's static current, which does not shrink
with the node, is most of it) and comes close to B only at 8b x 8b
(27 vs 24 fJ/MAC), so in this model D is flattest but never the best.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _case_study import arguments, pyplot, run, save_figure  # noqa: E402

NAME = "fig16_scaled_macros"
#: macro key -> (sweep name, label)
MACROS = {
    "a": ("fig16_scaled_macros_a", "Macro A (Jia): bit-serial / bit-sliced"),
    "b": ("fig16_scaled_macros_b", "Macro B (Sinangil): 4b pulses, 4b units"),
    "d": ("fig16_scaled_macros_d", "Macro D (Wang): 8b R-2R DAC, C-2C ladder"),
}


def run_all(args: argparse.Namespace) -> pd.DataFrame:
    """Run (or with ``--no-run`` read) the three sweeps; one row per (macro,
    input bits, weight bits) with energy per MAC and its components."""
    frames = []
    for key, (sweep, _) in MACROS.items():
        sub = argparse.Namespace(**{**vars(args), "out": Path(args.out) / f"macro_{key}"})
        designs, _layers = run(sweep, sub)
        df = designs.assign(macro=key, input_bits=designs["p.INPUT_BITS"].astype(int),
                            weight_bits=designs["p.WEIGHT_BITS"].astype(int))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def energy_grid(designs: pd.DataFrame, key: str) -> pd.DataFrame:
    """Energy per MAC (fJ) of one macro: rows weight bits, columns input bits."""
    d = designs[designs["macro"] == key]
    return d.pivot(index="weight_bits", columns="input_bits", values="energy_per_mac_fj")


def finding(designs: pd.DataFrame) -> dict:
    """Best macro per bit width, and how each macro scales from 1x1 to 8x8 bits."""
    grids = {k: energy_grid(designs, k) for k in MACROS}
    stack = np.stack([grids[k].to_numpy() for k in MACROS])
    keys = list(MACROS)
    best = pd.DataFrame(np.array(keys)[stack.argmin(axis=0)], index=grids["a"].index,
                        columns=grids["a"].columns)
    counts = {k: int((best == k).to_numpy().sum()) for k in keys}
    scale = {k: float(g.loc[8, 8] / g.loc[1, 1]) for k, g in grids.items()}
    corners = {k: {f"{w}w x {i}i": float(g.loc[w, i]) for w, i in
                   ((1, 1), (4, 4), (8, 8), (1, 8), (8, 1))} for k, g in grids.items()}
    return {"best": best, "best_counts": counts, "scale_8x8_over_1x1": scale,
            "corners_fj": corners,
            "best_at": {f"{w}w x {i}i": best.loc[w, i] for w, i in
                        ((1, 1), (2, 2), (4, 4), (8, 8))},
            "n_winners": sum(1 for v in counts.values() if v)}


def plot(designs: pd.DataFrame, result: dict):
    plt = pyplot()
    from matplotlib.colors import ListedColormap, LogNorm
    grids = {k: energy_grid(designs, k) for k in MACROS}
    lo = min(float(g.min().min()) for g in grids.values())
    hi = max(float(g.max().max()) for g in grids.values())
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.4), layout="constrained")
    for ax, (key, (_, label)) in zip(axes, MACROS.items()):
        g = grids[key]
        im = ax.imshow(g.to_numpy(), origin="lower", cmap="viridis", norm=LogNorm(lo, hi),
                       extent=(0.5, g.shape[1] + 0.5, 0.5, g.shape[0] + 0.5))
        for w in g.index:
            for i in g.columns:
                ax.text(i, w, f"{g.loc[w, i]:.0f}", ha="center", va="center", fontsize=6,
                        color="white")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("input bits")
        ax.set_ylabel("weight bits")
    fig.colorbar(im, ax=axes[:3], label="energy per MAC (fJ)", fraction=0.02)
    best = result["best"]
    codes = {k: n for n, k in enumerate(MACROS)}
    ax = axes[3]
    ax.imshow(best.replace(codes).to_numpy().astype(int), origin="lower",
              cmap=ListedColormap(["#1f77b4", "#ff7f0e", "#2ca02c"]), vmin=0, vmax=2,
              extent=(0.5, best.shape[1] + 0.5, 0.5, best.shape[0] + 0.5))
    for w in best.index:
        for i in best.columns:
            ax.text(i, w, best.loc[w, i].upper(), ha="center", va="center", fontsize=8,
                    color="white", fontweight="bold")
    ax.set_title("lowest energy per MAC", fontsize=9)
    ax.set_xlabel("input bits")
    ax.set_ylabel("weight bits")
    fig.suptitle("Macros A, B, D at 7 nm, 0.8 V, common SRAM cell and 8b ADC "
                 "(max-utilization layer)")
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = arguments(NAME, __doc__, argv)
    designs = run_all(args)
    with pd.option_context("display.width", 200, "display.float_format", "{:.1f}".format):
        for key, (_, label) in MACROS.items():
            print(f"{label}: energy per MAC (fJ), rows weight bits, columns input bits")
            print(energy_grid(designs, key))
    result = finding(designs)
    print("lowest energy per MAC (rows weight bits, columns input bits):")
    print(result["best"].apply(lambda c: c.str.upper()).to_string())
    for key, (_, label) in MACROS.items():
        c = result["corners_fj"][key]
        print(f"{label}: 8b x 8b / 1b x 1b = {result['scale_8x8_over_1x1'][key]:.1f}x; "
              + ", ".join(f"{k} {v:.1f}" for k, v in c.items()) + " fJ/MAC; best at "
              f"{result['best_counts'][key]} of 64 bit widths")
    print("best macro: " + ", ".join(f"{k}: {v.upper()}" for k, v in result["best_at"].items()))
    save_figure(plot(designs, result), NAME, args)
    return result


if __name__ == "__main__":
    main()
