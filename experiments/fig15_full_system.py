"""CiMLoop paper Fig. 15: Macro D (Wang VLSI 2022) in a full system.

Runs ``configs/sweeps/fig15_full_system.yaml`` through the DSE runner: three
system styles (``fetch_all_lpddr4``: every tensor in LPDDR4 DRAM;
``fetch_weights_lpddr4``: weights loaded from DRAM once per layer,
activations in the global buffer; ``weight_stationary``: weights stationary
in the macros, activations on chip) x two workloads (ResNet-18, all 21
layers; GPT-2, one transformer block's four weight layers at 256 tokens --
the 12 blocks are identical, so one block has the network's breakdown and
keeps the run to a few minutes on 2 cores). The chip has a 32 MB global
buffer, routers shared by four tiles, tiles of 8 macros with input/output
buffers, and enough macros (288) for the largest layer. Results: Parquet
under ``results/fig15_full_system/`` and a stacked energy breakdown per
style x workload (fJ/MAC: off-chip DRAM, global buffer, tile buffers and
routers, macro); ``--docs`` copies the PNG to ``docs/figures/``.

What it shows: with data fetched from DRAM the macro is a minority of system
energy (17-28 %); keeping weights stationary in the macros and activations on
chip makes the macro dominant (~80 %) and cuts system energy ~4-5x. How much
DRAM dominates depends on how many MACs each fetched weight serves: with 256
tokens a GPT-2 weight serves 256 MACs per fetch, more than ResNet-18's 155 on
average (its late 7x7 layers hold most weights), so GPT-2's DRAM share comes
out below ResNet-18's here; token-by-token generation (1 MAC per weight
fetch) would reverse that. The script prints each of these figures.
The mapper minimises energy (see the sweep file).

    python experiments/fig15_full_system.py [--docs] [--address serial]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _case_study as cs  # noqa: E402

NAME = "fig15_full_system"
STYLES = ("fetch_all_lpddr4", "fetch_weights_lpddr4", "weight_stationary")
STYLE_LABELS = {"fetch_all_lpddr4": "All tensors\noff-chip",
                "fetch_weights_lpddr4": "Fetch weights\n(act. on chip)",
                "weight_stationary": "Weight-stationary\n+ act. on chip"}
#: Component groups of the breakdown (CiMLoop's test_full_system_dnn groups,
#: with the tile buffers and routers split from the macro).
GROUPS = {"Off-chip DRAM": ("dram",), "Global buffer": ("glb",),
          "Tile buffers & routers": ("input_buffer", "output_buffer", "router")}
MACRO = "Macro"
COLORS = {"Off-chip DRAM": "#4c72b0", "Global buffer": "#dd8452",
          "Tile buffers & routers": "#937860", MACRO: "#55a868"}


def breakdown(designs, layers):
    """``{(workload, style): {group: fJ/MAC}}`` from the per-layer results."""
    style_of = dict(zip(designs["design_id"], designs["p.system"]))
    energy_cols = [c for c in layers.columns if c.startswith("e.")]
    out = {}
    for (design_id, workload), rows in layers.groupby(["design_id", "workload"]):
        sums = rows[energy_cols].fillna(0.0).sum()
        macs = float(rows["macs"].sum())
        groups = {g: sum(sums.get(f"e.{c}", 0.0) for c in comps) for g, comps in GROUPS.items()}
        grouped = {f"e.{c}" for comps in GROUPS.values() for c in comps}
        groups[MACRO] = float(sum(v for k, v in sums.items() if k not in grouped))
        key = (_workload_label(workload), style_of[design_id])
        out[key] = {g: e * 1e3 / macs for g, e in groups.items()}
    return out


def _workload_label(workload: str) -> str:
    return "GPT-2 (one block)" if workload.startswith("gpt2") else "ResNet-18"


def plot(data, args):
    plt = cs.pyplot()
    workloads = sorted({w for w, _ in data}, key=lambda w: w != "ResNet-18")
    fig, axes = plt.subplots(1, len(workloads), figsize=(5.2 * len(workloads), 4.2))
    for ax, workload in zip(list(axes) if len(workloads) > 1 else [axes], workloads):
        bottom = [0.0] * len(STYLES)
        for group in (*GROUPS, MACRO):
            values = [data[(workload, s)][group] for s in STYLES]
            ax.bar(range(len(STYLES)), values, bottom=bottom, color=COLORS[group], label=group)
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xticks(range(len(STYLES)), [STYLE_LABELS[s] for s in STYLES], fontsize=8)
        ax.set_title(f"Macro D in a full system: {workload}", fontsize=10)
        ax.set_ylabel("energy (fJ/MAC)")
    axes_list = list(axes) if len(workloads) > 1 else [axes]
    axes_list[0].legend(fontsize=8)
    fig.tight_layout()
    return cs.save_figure(fig, NAME, args)


def macs_per_weight() -> dict[str, float]:
    """MACs per weight fetched (each weight read from DRAM once per layer) of
    each workload of the sweep: how often a fetched weight is used."""
    from cimdse.dse.parser import load_sweep
    from cimdse.workload import load_workload
    out = {}
    for ref in load_sweep(cs.sweep_file(NAME)).workloads:
        net = load_workload(ref.name, batch=ref.batch, seq_len=ref.seq_len)
        layers = [l for l in net.layers if not ref.layers or l.name in ref.layers]
        weights = sum(l.tensor_size("Weights") for l in layers if not l.weights_are_activations)
        out[_workload_label(ref.name)] = sum(l.macs for l in layers) / weights
    return out


def summary(data) -> None:
    print(f"{'workload':<20}{'system':<24}{'fJ/MAC':>9}{'DRAM':>8}{'GLB':>7}{'tile':>7}{'macro':>8}")
    for (workload, style), groups in sorted(data.items()):
        total = sum(groups.values())
        share = {g: 100 * v / total for g, v in groups.items()}
        print(f"{workload:<20}{style:<24}{total:>9.1f}{share['Off-chip DRAM']:>7.1f}%"
              f"{share['Global buffer']:>6.1f}%{share['Tile buffers & routers']:>6.1f}%"
              f"{share[MACRO]:>7.1f}%")
    reuse = macs_per_weight()
    for workload in sorted({w for w, _ in data}):
        print(f"{workload}: {reuse[workload]:.0f} MACs per weight fetched from DRAM")
    for workload in sorted({w for w, _ in data}):
        fetch = data[(workload, "fetch_all_lpddr4")]
        ws = data[(workload, "weight_stationary")]
        macro_fetch = 100 * fetch[MACRO] / sum(fetch.values())
        macro_ws = 100 * ws[MACRO] / sum(ws.values())
        print(f"{workload}: macro share {macro_fetch:.0f}% with all tensors off chip -> "
              f"{macro_ws:.0f}% weight-stationary with activations on chip; total energy "
              f"/{sum(fetch.values()) / sum(ws.values()):.1f}")


def main(argv: list[str] | None = None) -> int:
    args = cs.arguments(NAME, __doc__, argv)
    designs, layers = cs.run(NAME, args)
    data = breakdown(designs, layers)
    summary(data)
    plot(data, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
