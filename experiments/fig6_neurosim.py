"""CiMLoop Fig. 6: per-layer ResNet-18 energy of basic_analog in NeuroSim's
default configuration (configs/macros/basic_analog_neurosim.yaml) against
NeuroSim V1.3, with the profiled CiMLoop histograms.

Each layer is evaluated with the histograms and shape of its CiMLoop
workload file (../shared/workloads/cimloop/resnet18 relative to the repo
root, or --workload DIR) and scaled to NeuroSim's output size (NeuroSim runs
the convolutions unpadded: P = (H - R) / stride + 1), exactly as the
reference rows of cimdse/data/references/basic_analog_neurosim.csv do
(model_scale). Prints the per-layer table and writes
docs/figures/fig6_neurosim.png.

``--fit`` also fits the macro's two calibration constants to the even-layer
(calibration) rows: ADC_ENERGY_SCALE (x the ADC's actions) and
ARRAY_ENERGY_SCALE (x the row drivers', cells' and column drivers' actions),
minimising the mean |relative error|. Layer energy is linear in the two
(leakage aside), so the minimum of the sum of absolute relative errors sits
where two rows are matched exactly: every pair of rows is tried. The
mappings depend on the constants (best EDP), so the fit is repeated with
the fitted values until they stop moving.

    python experiments/fig6_neurosim.py [--workload DIR] [--out PNG] [--fit]
"""

from __future__ import annotations

import argparse
import itertools
import math
from pathlib import Path

import cimdse
from cimdse.validation import load_references

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "configs" / "macros" / "basic_analog_neurosim.yaml"
REFS = REPO / "cimdse" / "data" / "references" / "basic_analog_neurosim.csv"
#: NeuroSim's output rows (= columns) per ResNet-18 layer: unpadded
#: convolutions of NetWork_ResNet18.csv (H, R, stride); CiMLoop file order
NEUROSIM_P = (109, 54, 54, 54, 54, 27, 26, 28, 26, 26, 13, 12, 14, 12, 12, 6, 5, 7, 5, 5, 1)
#: the components each calibration constant scales (their actions; leakage is not scaled)
SCALED = {"ADC_ENERGY_SCALE": ("adc",),
          "ARRAY_ENERGY_SCALE": ("row_drivers", "cell", "column_drivers")}


def layer_scale(path: Path, index: int) -> float:
    """MACs of NeuroSim's layer / MACs of the CiMLoop workload file."""
    from cimdse.workload import load_workload
    layer = load_workload(str(path)).layers[0]
    p, q = layer.dims["P"], layer.dims["Q"]
    return NEUROSIM_P[index] ** 2 / (p * q)


def run(workload_dir: Path, overrides: dict | None = None) -> list[dict]:
    refs = {r.metric: r for r in load_references(REFS)}
    design = cimdse.load(SPEC, overrides=overrides)
    rows = []
    for i in range(21):
        path = workload_dir / f"{i:02d}.yaml"
        scale = layer_scale(path, i)
        result = cimdse.evaluate(design, str(path))
        model = result.energy_pj * scale
        ref = refs.get(f"ResNet18 layer {i:02d} energy")
        # per calibration constant: the energy of the actions it scales, at 1
        parts = {k: 0.0 for k in SCALED}
        for row in result.rows():
            for key, comps in SCALED.items():
                if row["component"] in comps and row["action"] != "leak":
                    parts[key] += row["energy_pj"] * scale / design.variables[key]
        rows.append({"layer": i, "macs": round(result.macs * scale), "model_pj": model,
                     "neurosim_pj": ref.reference if ref else None,
                     "role": ref.role if ref else "prediction (held out)",
                     "breakdown": {k: v * scale for k, v in result.energy_breakdown.items()},
                     "unit_pj": parts, "scales": {k: design.variables[k] for k in SCALED}})
    return rows


def fit_scales(rows: list[dict]) -> tuple[dict[str, float], float]:
    """The two constants minimising the mean |relative error| of the
    calibration rows with these rows' mappings, and that mean."""
    keys = list(SCALED)
    cal = []
    for r in rows:
        if r["role"] != "calibration":
            continue
        fixed = r["model_pj"] - sum(r["unit_pj"][k] * r["scales"][k] for k in keys)
        cal.append(([r["unit_pj"][k] / r["neurosim_pj"] for k in keys],
                    1 - fixed / r["neurosim_pj"]))
    best = None
    for (a1, b1), (a2, b2) in itertools.combinations(cal, 2):
        det = a1[0] * a2[1] - a1[1] * a2[0]
        if abs(det) < 1e-15:
            continue
        x = ((b1 * a2[1] - b2 * a1[1]) / det, (a1[0] * b2 - a2[0] * b1) / det)
        if min(x) <= 0:
            continue
        err = sum(abs(a[0] * x[0] + a[1] * x[1] - b) for a, b in cal) / len(cal)
        if best is None or err < best[1]:
            best = (dict(zip(keys, x)), err)
    return best


def fit(workload_dir: Path, rounds: int = 5) -> list[dict]:
    """Fit the constants (see the module docstring), to 4 significant
    digits; the rows evaluated with them."""
    rows = run(workload_dir)
    for _ in range(rounds):
        scales, err = fit_scales(rows)
        scales = {k: float(f"{v:.4g}") for k, v in scales.items()}
        print("fit: " + ", ".join(f"{k} = {v:g}" for k, v in scales.items())
              + f" (mean |error| {err:.2%} with the mappings the previous constants chose)")
        if all(abs(rows[0]["scales"][k] - v) < 1e-12 for k, v in scales.items()):
            break
        rows = run(workload_dir, scales)
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'layer':>5} {'MACs':>11} {'cimdse uJ':>10} {'NeuroSim uJ':>12} {'error':>8}  role"]
    errs = []
    for r in rows:
        ref = r["neurosim_pj"]
        err = (r["model_pj"] - ref) / ref if ref else None
        if err is not None:
            errs.append(err)
        lines.append(f"{r['layer']:5d} {r['macs']:11d} {r['model_pj'] / 1e6:10.3f} "
                     f"{(ref / 1e6 if ref else math.nan):12.3f} "
                     f"{(f'{err:+.1%}' if err is not None else '-'):>8}  {r['role']}")
    total = sum(r["model_pj"] for r in rows)
    lines.append(f"total (all 21 layers): {total / 1e6:.2f} uJ")
    if errs:
        lines.append(f"even layers: mean |error| {sum(map(abs, errs)) / len(errs):.1%}, "
                     f"max {max(map(abs, errs)):.1%}")
    return "\n".join(lines)


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = [r["layer"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar([i - 0.2 for i in x], [r["model_pj"] / 1e6 for r in rows], width=0.4,
           label="cimdse (basic_analog_neurosim)")
    ref = [(r["layer"], r["neurosim_pj"] / 1e6) for r in rows if r["neurosim_pj"]]
    ax.bar([i + 0.2 for i, _ in ref], [v for _, v in ref], width=0.4,
           label="NeuroSim V1.3 (even layers, calibration)")
    ax.set_xlabel("ResNet-18 layer (CiMLoop / NeuroSim order)")
    ax.set_ylabel("analog macro energy per layer (µJ)")
    ax.set_xticks(x)
    ax.set_title("CiMLoop Fig. 6: per-layer energy, cimdse vs NeuroSim")
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", type=Path,
                    default=REPO.parent / "shared" / "workloads" / "cimloop" / "resnet18")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "figures" / "fig6_neurosim.png")
    ap.add_argument("--fit", action="store_true",
                    help="fit ADC_ENERGY_SCALE and ARRAY_ENERGY_SCALE to the calibration rows")
    args = ap.parse_args()
    rows = fit(args.workload) if args.fit else run(args.workload)
    print(table(rows))
    plot(rows, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
