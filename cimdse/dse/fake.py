"""Fast fake evaluators (pure functions of the parameters) for tests and benchmarks.

They follow the ``evaluate_point(spec_path, overrides, workload, seed)``
contract of :mod:`cimdse.dse.evaluation` and produce the same record
columns as ``result.record()``, without loading the spec.
"""

from __future__ import annotations

import math
import time

from ..mapping.errors import NoValidMappingError


def fake_evaluate_point(spec_path: str, overrides: dict, workload: dict, seed: int,
                        cost_s: float = 0.0) -> tuple[dict, list[dict]]:
    """A smooth energy/latency/area trade-off over ROWS, COLS, BITS_PER_CELL, DAC_BITS.

    Special values for tests: ``ROWS == 7`` raises NoValidMappingError (infeasible),
    ``ROWS == 13`` raises ValueError (error row), ``FAKE_CRASH`` truthy raises RuntimeError.
    """
    if cost_s > 0:
        end = time.perf_counter() + cost_s
        while time.perf_counter() < end:
            pass
    rows = float(overrides.get("ROWS", 128))
    cols = float(overrides.get("COLS", 128))
    bpc = float(overrides.get("BITS_PER_CELL", 2))
    dac = float(overrides.get("DAC_BITS", 1))
    voltage = float(overrides.get("VOLTAGE", 1.0))
    if rows == 7:
        raise NoValidMappingError("no mapping fits (fake)", reason="fake")
    if rows == 13:
        raise ValueError("fake evaluator failure")
    if overrides.get("FAKE_CRASH"):
        raise RuntimeError("fake crash")
    n_layers = max(1, len(workload.get("layers") or []) or 2)
    macs = 1_000_000.0 * n_layers
    adc_bits = min(8.0, math.ceil(math.log2(rows)) + bpc + dac - 1)
    e_adc = macs / rows * 2 ** (adc_bits - 8) * 6.49 * (8 / bpc) * (8 / dac) / 64
    e_cell = macs * 0.004 * voltage ** 2
    e_dac = macs / cols * dac * 0.05
    e_cell += macs * 2e-7 * rows * cols * bpc * dac  # wires/leakage grow with the array
    energy = e_adc + e_cell + e_dac
    cycles = macs / (rows * cols / (8 / bpc)) * (8 / dac)
    latency = cycles * 1e-7
    area = (rows * cols * 0.05 + cols * 4887 + rows * 20 + 65536) / 1e6
    layer_rows = [{"layer": f"L{i}", "energy_pj": energy / n_layers, "cycles": cycles / n_layers}
                  for i in range(n_layers)]
    # one stage on one macro: no placement
    pipeline = {"n_macros_used": 1, "pipeline_latency_s": latency, "sequential_latency_s": latency,
                "throughput_inferences_per_s": 1 / latency, "interconnect_energy_pj": 0.0,
                "reload_energy_pj": macs / rows * 1e-3}
    return ({"energy_pj": energy, "macs": macs, "energy_per_mac_fj": energy * 1e3 / macs,
             "cycles": cycles, "latency_s": latency, "tops": 2 * macs / latency / 1e12,
             "tops_per_w": 2 * macs / energy, "area_mm2": area,
             "tops_per_mm2": 2 * macs / latency / 1e12 / area, "utilization": 1.0,
             **pipeline, "e.adc": e_adc, "e.cell": e_cell, "e.dac_bank": e_dac}, layer_rows)


def slow_fake_evaluate_point(spec_path, overrides, workload, seed):
    """The fake evaluator spending ~1 ms of CPU per call (benchmarks)."""
    return fake_evaluate_point(spec_path, overrides, workload, seed, cost_s=1e-3)


def crash_once_evaluate_point(marker: str, spec_path, overrides, workload, seed):
    """Kills its worker process the first time it runs (``marker`` file absent),
    then behaves like :func:`fake_evaluate_point` -- for testing task retries."""
    import os
    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write("crashed once\n")
        os._exit(1)
    return fake_evaluate_point(spec_path, overrides, workload, seed)


def misbehaving_evaluate_point(spec_path, overrides, workload, seed, *,
                               hang_rows: int | None = None, hog_rows: int | None = None,
                               hog_bytes: int = 2**33, deaf_rows: int | None = None):
    """:func:`fake_evaluate_point`, except that a design with ``ROWS == hang_rows``
    spins forever, one with ``ROWS == hog_rows`` allocates ``hog_bytes`` and one with
    ``ROWS == deaf_rows`` hangs deaf to the in-process timer (as inside a C call) --
    for testing per-design limits."""
    rows = overrides.get("ROWS")
    if hang_rows is not None and rows == hang_rows:
        while True:
            pass
    if deaf_rows is not None and rows == deaf_rows:
        import signal
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    if hog_rows is not None and rows == hog_rows:
        import numpy as np
        block = np.ones(hog_bytes // 8)
        return fake_evaluate_point(spec_path, overrides, workload, seed)[0] | \
            {"hog": float(block[-1])}, []
    return fake_evaluate_point(spec_path, overrides, workload, seed)
