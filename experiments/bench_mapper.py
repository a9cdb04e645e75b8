"""Mapper throughput benchmark (one process).

(a) mappings evaluated per CPU-second (``time.process_time``, i.e. per core,
    robust to other jobs on the machine; wall-clock rates are printed too)
    on a ResNet-18 3x3 conv (56x56x64 -> 64)
    on a digital DRAM -> buffer -> 16x16 PE array hierarchy;
(b) the same layer on configs/examples/fig5_macro.yaml (with the design's
    input/weight slices as X/Y);
(c) wall time of a best-EDP search over all ResNet-18 layers on (b), with
    the design's mapper settings (CPU time printed too).

Imperfect spatial factors are on, as by default; ``--perfect-only`` maps
with perfect factorisations only (``mapper.imperfect_spatial: false``).
The last line is ``mappings_per_s=<a> mappings_per_s_cim=<b> resnet18_search_s=<c>``.
Usage: python experiments/bench_mapper.py [--evaluations N] [--perfect-only]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cimdse
from cimdse.mapping import (SearchSettings, build_action_table, build_arch, evaluate,
                            problem_from_layer, search)
from cimdse.mapping.evaluate_layer import _with_slices, settings_from_design
from cimdse.workload import conv2d

ROOT = Path(__file__).resolve().parents[1]
FIG5 = ROOT / "configs" / "examples" / "fig5_macro.yaml"

DIGITAL = """\
name: digital_16x16
arch:
  nodes:
  - !Component
    name: dram
    class: constant
    attributes: {read_energy: 64.0, write_energy: 64.0, update_energy: 64.0}
    temporal_reuse: [Inputs, Weights, Outputs]
  - !Component
    name: buffer
    class: constant
    attributes: {size: 65536, read_energy: 1.0, write_energy: 1.0, update_energy: 1.0,
                 read_bandwidth: 64, write_bandwidth: 64}
    temporal_reuse: [Inputs, Weights, Outputs]
  - !Container
    name: pe
    spatial: {meshX: 16, meshY: 16}
    spatial_reuse: [Inputs, Weights, Outputs]
  - !Component
    name: reg
    class: constant
    attributes: {size: 64, read_energy: 0.05, write_energy: 0.05, update_energy: 0.05}
    temporal_reuse: [Inputs, Weights, Outputs]
  - !Component
    name: mac
    class: constant
    attributes: {compute_energy: 0.5}
"""


def throughput(design, layer, evaluations: int, imperfect: bool = True) -> float:
    arch = build_arch(design)
    problem = _with_slices(problem_from_layer(layer), design, "design")
    table = build_action_table(design)
    settings = SearchSettings(algorithm="random", max_evaluations=evaluations,
                              victory_condition=10 ** 12, timeout_s=120.0, progress=False,
                              imperfect_spatial=imperfect)
    t0, c0 = time.perf_counter(), time.process_time()
    found = search(arch, problem, table, settings)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {design.name}: {found.evaluated} mappings ({found.valid} valid) in "
          f"{wall:.2f} s wall, {cpu:.2f} CPU-s ({found.evaluated / wall:.0f}/s wall); "
          f"best energy {found.energy_pj:.4g} pJ, {found.cycles:.6g} cycles")
    return found.evaluated / cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evaluations", type=int, default=300_000)
    ap.add_argument("--perfect-only", action="store_true",
                    help="perfect factorisations only (mapper.imperfect_spatial: false)")
    args = ap.parse_args()
    imperfect = not args.perfect_only
    layer = conv2d("resnet18_3x3", C=64, M=64, P=56, Q=56, R=3, S=3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digital.yaml"
        path.write_text(DIGITAL)
        digital = cimdse.load(path)
    fig5 = cimdse.load(FIG5)
    a = throughput(digital, layer, args.evaluations, imperfect)
    b = throughput(fig5, layer, args.evaluations, imperfect)
    t0, c0 = time.perf_counter(), time.process_time()
    settings = replace(settings_from_design(fig5), imperfect_spatial=imperfect)
    result = evaluate(fig5, "resnet18", settings=settings)
    c = time.perf_counter() - t0
    print(f"  resnet18 on {fig5.name}: {c:.2f} s wall, {time.process_time() - c0:.2f} CPU-s, "
          f"{len(result.layers)} layers, "
          f"{result.energy_per_mac_fj:.1f} fJ/MAC, {result.tops_per_w:.3f} TOPS/W, "
          f"utilization {result.utilization:.3f}")
    print(f"mappings_per_s={a:.0f} mappings_per_s_cim={b:.0f} resnet18_search_s={c:.2f}")


if __name__ == "__main__":
    main()
