"""Throughput of the DSE runner: designs/s end to end (ask, evaluate, tell, Parquet).

    python experiments/bench_dse.py [--trials 2000] [--real-trials 16] [--samplers random,nsga2]

Runs the quickstart sweep's space with
  * a fake evaluator spending ~1 ms (--cost-ms) of CPU per design (pure function of the
    parameters; continuous parameters are added so designs rarely repeat),
    on the serial executor and on a local Ray with all CPUs;
  * the real evaluator (cimdse.load + cimdse.evaluate) when it is available.
Prints one line per configuration. Ray start-up is excluded from the figures
(it is printed separately).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPACE = """
name: bench
spec: {spec}
workloads: [{{name: resnet18, layers: [layer1.0.conv1]}}]
parameters:
  ROWS: {{type: categorical, choices: [64, 128, 256, 512]}}
  COLS: {{type: int, low: 64, high: 256, step: 64}}
  BITS_PER_CELL: {{type: int, low: 1, high: 4}}
  DAC_BITS: {{type: categorical, choices: [1, 2, 4]}}
  VOLTAGE: {{type: float, low: 0.6, high: 1.1}}
  CYCLE_SECONDS: {{type: float, low: 1.0e-8, high: 1.0e-6, log: true}}
objectives: {{energy_pj: minimize, latency_s: minimize}}
constraints: ["area_mm2 <= 2"]
sampler: {sampler}
seed: 0
budget: {{trials: {trials}}}
execution: {{flush_seconds: 30}}
"""


def run(sweep_text: str, executor: str, evaluate_point, workdir: Path, label: str) -> None:
    from cimdse.dse import run_sweep
    path = workdir / f"{label}.yaml"
    path.write_text(sweep_text)
    out = workdir / label
    t0 = time.perf_counter()
    s = run_sweep(path, out, executor=executor, evaluate_point=evaluate_point)
    dt = time.perf_counter() - t0
    print(f"{label:<34} {s.trials:>6} trials {s.evaluated:>6} designs  {dt:7.2f} s  "
          f"{s.trials / dt:8.1f} trials/s  {s.evaluated / dt:8.1f} designs/s  "
          f"(ok {s.counts.get('ok', 0)}, infeasible {s.counts.get('infeasible', 0)}, "
          f"error {s.counts.get('error', 0)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--real-trials", type=int, default=16)
    ap.add_argument("--samplers", default="random,nsga2")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--cost-ms", type=float, default=1.0, help="CPU time of the fake evaluator")
    args = ap.parse_args()
    import functools
    from cimdse.dse.fake import fake_evaluate_point
    slow_fake_evaluate_point = functools.partial(fake_evaluate_point, cost_s=args.cost_ms / 1e3)
    spec = REPO / "configs" / "examples" / "fig5_macro.yaml"
    workdir = Path(tempfile.mkdtemp(prefix="bench_dse_"))
    print(f"CPUs: {os.cpu_count()}  fake evaluator: ~{args.cost_ms:g} ms/design  "
          f"trials: {args.trials}")
    try:
        samplers = {"random": "random", "nsga2": "{name: nsga2, population_size: 64}",
                    "tpe": "tpe"}
        for name in args.samplers.split(","):
            text = SPACE.format(spec=spec, sampler=samplers[name], trials=args.trials)
            run(text, "serial", slow_fake_evaluate_point, workdir, f"fake/{name}/serial".replace("/", "_"))
        if not args.no_ray:
            import ray
            t0 = time.perf_counter()
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR")
            print(f"ray.init: {time.perf_counter() - t0:.1f} s")
            for name in args.samplers.split(","):
                text = SPACE.format(spec=spec, sampler=samplers[name], trials=args.trials)
                run(text, "ray", slow_fake_evaluate_point, workdir, f"fake_{name}_ray")
        from cimdse.dse.evaluation import real_evaluate
        if real_evaluate() is not None:
            text = SPACE.format(spec=spec, sampler="random", trials=args.real_trials)
            run(text, "serial", None, workdir, "real_random_serial")
            if not args.no_ray:
                run(text.replace("name: bench", "name: bench2"), "ray", None, workdir,
                    "real_random_ray")
        else:
            print("real evaluator: cimdse.evaluate not available yet (skipped)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
