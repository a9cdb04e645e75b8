"""DSE benchmarks: Pareto sorting speed, and designs/s of the whole sweep pipeline
(Optuna ask/tell + Ray tasks + Parquet) on whole-network evaluations.

    python experiments/bench_dse.py [--network resnet18] [--designs 24] [--fake]

1. Pareto: ``is_nondominated`` on 10^5 random / correlated / trade-off points with 2
   and 3 objectives (the trade-off sets put every point on the front).
2. Pipeline: the quickstart space (ROWS, COLS, BITS_PER_CELL, DAC_BITS) of the
   Fig. 5 macro on a *whole network* (default resnet18, a few seconds per design),
   ``--designs`` random designs, swept on a local Ray with 1 worker and with 2
   workers (one design per task, one ask/tell batch; fastest of ``--repeats``), and
   the same designs with ``cimdse.load`` + ``cimdse.evaluate`` called directly in
   this process with no Ray running (fastest of a run before and one after the
   2-worker sweeps). Every timed window also reports the machine's CPU use from
   /proc/stat, so load from other processes shows up; and the same designs on 2
   plain processes give the machine's own 2-process ceiling. Ray start-up and worker warm-up (importing cimdse, building the
   network) are outside the timed windows and printed separately; the timed
   window is ``run_sweep`` itself (ask, dispatch, evaluate, tell, Parquet flush).
   ``overhead_pct`` = (1-worker sweep time / direct time - 1) x 100, the median over
   back-to-back pairs (each 1-worker sweep followed at once by the same designs
   evaluated directly), since the machine drifts more than the overhead. Workers run at
   normal priority, as in ``cimdse sweep`` (Ray's default, nice 15, made evaluations on
   a shared machine 15-30 % slower than the same call in this process).
3. ``--fake``: designs/s with the fake ~1 ms evaluator (dispatch-bound case).

The last line is ``designs_per_s_1=<> designs_per_s_2=<> scaling=<> overhead_pct=<>``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

# Ray workers run with OMP_NUM_THREADS=1; do the same for the direct and the
# plain-process measurements so all of them evaluate with one BLAS thread.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "configs" / "examples" / "fig5_macro.yaml"

SPACE = """
name: {name}
spec: {spec}
overrides: {{VOLTAGE: 1.0}}
workloads: [{workload}]
parameters:
  ROWS: {{type: categorical, choices: [64, 128, 256, 512]}}
  COLS: {{type: int, low: 64, high: 256, step: 64}}
  BITS_PER_CELL: {{type: int, low: 1, high: 4}}
  DAC_BITS: {{type: categorical, choices: [1, 2, 4]}}
objectives: {{energy_pj: minimize, latency_s: minimize, area_mm2: minimize}}
sampler: {sampler}
seed: {seed}
budget: {{trials: {trials}}}
execution: {{batch: {batch}, chunk: {chunk}, flush_seconds: 30}}
"""


# ----------------------------------------------------------------- Pareto

def bench_pareto(n: int = 100_000, repeats: int = 3) -> None:
    from cimdse.dse.pareto import is_nondominated
    rng = np.random.default_rng(0)
    print(f"Pareto (is_nondominated, n={n}, best of {repeats}):")
    for k in (2, 3):
        x = rng.random((n, k))
        base = rng.random((n, 1))
        cases = {
            "random uniform": rng.random((n, k)),
            "correlated": base + 0.05 * rng.random((n, k)),
            "trade-off (simplex)": x / x.sum(axis=1, keepdims=True),
        }
        for name, pts in cases.items():
            best = float("inf")
            for _ in range(repeats):
                t0 = time.perf_counter()
                mask = is_nondominated(pts)
                best = min(best, time.perf_counter() - t0)
            print(f"  k={k} {name:<21} front {int(mask.sum()):>7}  {best * 1e3:8.1f} ms")


# ----------------------------------------------------------------- pipeline

def _warm_up(ray, spec: str, workload: dict, cpus: int) -> float:
    """Import cimdse and build the network in every worker process (concurrent tasks
    that each hold a CPU for a moment, so each lands in its own worker)."""
    @ray.remote(num_cpus=1)
    def warm(spec: str, workload_json: str) -> int:
        import cimdse
        from cimdse.dse.evaluation import _network
        _network(workload_json)
        cimdse.load(spec, {})
        time.sleep(0.5)
        return os.getpid()
    t0 = time.perf_counter()
    ray.get([warm.remote(spec, json.dumps(workload, sort_keys=True)) for _ in range(cpus)])
    return time.perf_counter() - t0


def _cpu_times() -> tuple[float, float] | None:
    """Machine-wide (busy, steal) CPU seconds from /proc/stat (None elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    v = [int(x) for x in fields]
    tick = os.sysconf("SC_CLK_TCK")
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    steal = v[7] if len(v) > 7 else 0
    return (sum(v[:8]) - idle - steal) / tick, steal / tick


def pipeline(cpus: int, text: str, workdir: Path, spec: str, workload: dict, label: str,
             repeats: int = 1, paired_direct: list[float] | None = None):
    """designs/s of ``run_sweep`` on a fresh local Ray with ``cpus`` workers (fastest of
    ``repeats`` runs, each into a new directory so every design is evaluated).

    With ``paired_direct`` (a list), each run is followed at once by the same
    designs evaluated directly in this process, and the ratio pipeline / direct
    of that pair is appended: pairs taken back to back cancel the machine's
    slow drift, which on a shared 2-vCPU VM exceeds the overhead measured."""
    import ray
    from cimdse.dse import read_results, run_sweep
    path = workdir / f"{label}.yaml"
    path.write_text(text)
    t0 = time.perf_counter()
    # as cimdse sweep starts its local Ray: workers at normal priority (Ray's default is
    # nice 15, which loses to every other process on a shared machine)
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR", _system_config={"worker_niceness": 0})
    t_init = time.perf_counter() - t0
    t_warm = _warm_up(ray, spec, workload, cpus)
    best = None
    try:
        for rep in range(repeats):
            out = workdir / f"{label}-{rep}"
            c0, d0 = _cpu_times(), time.process_time()
            t0 = time.perf_counter()
            s = run_sweep(path, out)
            wall = time.perf_counter() - t0
            c1, d1 = _cpu_times(), time.process_time()
            df = read_results(out)
            busy = float(df["eval_s"].sum())
            if c0 and c1:
                machine, steal = c1[0] - c0[0], c1[1] - c0[1]
                print(f"  {label:<10} run {rep + 1}: {wall:6.2f} s; CPU in the window: machine "
                      f"{machine:.1f} core-s of {wall * (os.cpu_count() or 1):.1f}, evaluations "
                      f"{busy:.1f}, driver {d1 - d0:.1f}, everything else (Ray daemons, other "
                      f"processes) {machine - busy - (d1 - d0):.1f}, hypervisor steal {steal:.1f}")
            if paired_direct is not None:
                t_direct = direct(spec, _overrides(df), workload)
                paired_direct.append(wall / t_direct)
                print(f"  {label:<10} run {rep + 1}: direct {t_direct:6.2f} s for the same designs "
                      f"right after: pipeline / direct = {wall / t_direct:.3f}")
            if best is None or wall < best[1]:
                best = (s, wall, df, busy)
    finally:
        ray.shutdown()
    s, wall, df, busy = best
    print(f"  {label:<10} {s.evaluated:>3} designs  {wall:7.2f} s (fastest)  {s.evaluated / wall:6.3f} designs/s"
          f"  worker busy {busy / (wall * cpus) * 100:5.1f} %  (ray.init {t_init:.1f} s, "
          f"warm-up {t_warm:.1f} s, not timed)  status {dict(df['status'].value_counts())}")
    return s.evaluated / wall, wall, df


def _overrides(df) -> list[dict]:
    return [{c[2:]: (int(v) if float(v).is_integer() else float(v))
             for c, v in row.items() if c.startswith("p.")} | {"VOLTAGE": 1.0}
            for row in df.to_dict("records")]


def _evaluate_one(spec: str, workload_json: str, overrides: dict) -> float:
    """cimdse.load + cimdse.evaluate of one design; returns its seconds."""
    import cimdse
    from cimdse.dse.evaluation import _network
    network = _network(workload_json)
    t0 = time.perf_counter()
    try:
        cimdse.evaluate(cimdse.load(spec, overrides), network)
    except Exception:  # noqa: BLE001 - infeasible designs cost time too
        pass
    return time.perf_counter() - t0


def direct(spec: str, designs: list[dict], workload: dict) -> float:
    """Seconds to cimdse.load + cimdse.evaluate ``designs`` one after the other here."""
    wj = json.dumps(workload, sort_keys=True)
    _evaluate_one(spec, wj, designs[0])                    # warm caches, untimed
    t0 = time.perf_counter()
    for ov in designs:
        _evaluate_one(spec, wj, ov)
    return time.perf_counter() - t0


def _warm_pool(spec: str, workload_json: str) -> int:
    _evaluate_one(spec, workload_json, {"ROWS": 64, "COLS": 64})
    time.sleep(0.5)
    return os.getpid()


def hardware_ceiling(spec: str, designs: list[dict], workload: dict, t_direct: float) -> float:
    """Speed-up of the same designs on 2 plain processes (no Ray, no Optuna): what
    this machine allows, to judge the pipeline's scaling against."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    wj = json.dumps(workload, sort_keys=True)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm_pool, [spec] * 2, [wj] * 2))   # imports + network, untimed
        t0 = time.perf_counter()
        list(pool.map(_evaluate_one, [spec] * len(designs), [wj] * len(designs), designs))
        wall = time.perf_counter() - t0
    print(f"  2 plain processes (no Ray): {wall:7.2f} s  -> machine ceiling "
          f"{t_direct / wall:.2f}x")
    return t_direct / wall


def bench_fake(workdir: Path, trials: int = 2000) -> None:
    import ray
    from cimdse.dse import run_sweep
    from cimdse.dse.fake import fake_evaluate_point
    ev = functools.partial(fake_evaluate_point, cost_s=1e-3)
    text = SPACE.format(name="fake", spec=SPEC, workload="{name: resnet18, layers: [0]}",
                        sampler="random", seed=0, trials=trials, batch=512, chunk=64)
    print(f"fake evaluator (~1 ms/design, {trials} designs):")
    for label, kw in (("serial", {"executor": "serial"}), ("ray", {})):
        path = workdir / f"fake_{label}.yaml"
        path.write_text(text)
        if label == "ray":
            ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False,
                     log_to_driver=False, logging_level="ERROR",
                     _system_config={"worker_niceness": 0})
        t0 = time.perf_counter()
        s = run_sweep(path, workdir / f"fake_{label}", evaluate_point=ev, **kw)
        dt = time.perf_counter() - t0
        if label == "ray":
            ray.shutdown()
        print(f"  {label:<7} {s.evaluated / dt:8.1f} designs/s ({s.cpus} CPUs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default="resnet18", help="built-in network, evaluated whole")
    ap.add_argument("--designs", type=int, default=24, help="designs per pipeline run")
    ap.add_argument("--repeats", type=int, default=3,
                    help="sweeps per worker count (the fastest counts: the machine is shared)")
    ap.add_argument("--fake", action="store_true", help="also the fake-evaluator throughput")
    ap.add_argument("--no-pareto", action="store_true")
    args = ap.parse_args()
    print(f"CPUs: {os.cpu_count()}")
    if not args.no_pareto:
        bench_pareto()
    workdir = Path(tempfile.mkdtemp(prefix="bench_dse_"))
    try:
        if args.fake:
            bench_fake(workdir)
        workload = {"name": args.network}
        spec = str(workdir / SPEC.name)          # a snapshot: the repo's copy may be edited
        shutil.copyfile(SPEC, spec)
        text = SPACE.format(name="whole", spec=spec, workload=f"{{name: {args.network}}}",
                            sampler="random", seed=1, trials=args.designs, batch=args.designs,
                            chunk=1)
        print(f"pipeline: {args.designs} designs of the Fig. 5 macro on the whole {args.network} "
              "(random sampler, 1 design per Ray task, one ask/tell batch):")
        ratios: list[float] = []
        dps1, wall1, df1 = pipeline(1, text, workdir, spec, workload, "1 worker", args.repeats,
                                    paired_direct=ratios)
        designs = _overrides(df1)
        t_direct_a = direct(spec, designs, workload)
        dps2, wall2, df2 = pipeline(2, text, workdir, spec, workload, "2 workers", args.repeats)
        assert list(df1["design_id"]) == list(df2["design_id"])
        t_direct_b = direct(spec, designs, workload)
        t_direct = min(t_direct_a, t_direct_b)
        per_design = t_direct / len(designs)
        print(f"  direct     {len(designs):>3} designs  {t_direct:7.2f} s  "
              f"{len(designs) / t_direct:6.3f} designs/s  ({per_design:.2f} s per design: "
              f"cimdse.load + cimdse.evaluate in this process; fastest of {t_direct_a:.2f} s "
              f"before and {t_direct_b:.2f} s after the 2-worker run)")
        overhead = (float(np.median(ratios)) - 1) * 100
        busy1 = float(df1["eval_s"].sum())
        print(f"  overhead of the pipeline over evaluate(): {overhead:.1f} % (median of "
              f"{len(ratios)} back-to-back pairs: {', '.join(f'{(r - 1) * 100:+.1f} %' for r in ratios)}); "
              f"fastest runs: {(wall1 / t_direct - 1) * 100:+.1f} %; outside the evaluator "
              f"(wall - eval_s): {(wall1 - busy1) / len(designs) * 1e3:.0f} ms per design "
              f"({(wall1 / busy1 - 1) * 100:.1f} %)")
        ceiling = hardware_ceiling(spec, designs, workload, t_direct)
        print(f"  scaling 1 -> 2 workers: {dps2 / dps1:.2f}x of a {ceiling:.2f}x machine ceiling "
              f"({dps2 / dps1 / ceiling * 100:.0f} % of what 2 plain processes get)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"designs_per_s_1={dps1:.4f} designs_per_s_2={dps2:.4f} scaling={dps2 / dps1:.3f} "
          f"overhead_pct={overhead:.2f}")


if __name__ == "__main__":
    main()
