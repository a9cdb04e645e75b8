"""``cimdse sweep`` and ``cimdse pareto``: parser builders and command functions.

The main CLI wires them with::

    add_sweep_parser(subparsers)    # -> run_sweep_command(args) -> exit code
    add_pareto_parser(subparsers)   # -> run_pareto_command(args) -> exit code

Each parser also gets ``func`` as a default.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import CimdseError

log = logging.getLogger(__name__)


def add_sweep_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "sweep", help="explore a design space (Optuna + Ray), results as Parquet",
        description="Run the sweep described by SWEEP.yaml. Designs are evaluated on a local "
                    "Ray (this machine's CPUs) unless --address joins a cluster. Results go to "
                    "DIR/designs/*.parquet (one row per design); Ctrl-C stops cleanly and "
                    "--resume continues.")
    p.add_argument("sweep", help="sweep YAML file")
    p.add_argument("--trials", type=int, default=None, help="trial budget (overrides budget.trials)")
    p.add_argument("--address", default=None,
                   help="Ray cluster address: 'auto' joins a running cluster, host:port, or "
                        "'serial' to evaluate in-process without Ray (default: start a local Ray)")
    p.add_argument("--out", default=None, help="results directory (default: results/<sweep name>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep in --out: reload its study and designs (refused "
                        "when the sweep file's search space changed)")
    p.add_argument("--new-study", action="store_true",
                   help="continue in --out with a new study (for a changed search space); "
                        "designs already evaluated are served from the store")
    p.add_argument("--num-cpus", type=int, default=None,
                   help="CPUs of the local Ray (default: all of this machine's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--evaluator", default=None, metavar="MODULE:FUNCTION",
                   help="per-design evaluator evaluate_point(spec_path, overrides, workload, seed) "
                        "-> (record, layer_rows[, macro_rows]) (default: cimdse.load + "
                        "cimdse.evaluate)")
    p.set_defaults(func=run_sweep_command)
    return p


def run_sweep_command(args: argparse.Namespace) -> int:
    from .runner import run_sweep
    if args.trials is not None and args.trials < 1:
        raise CimdseError("--trials must be at least 1")
    serial = args.address == "serial"
    evaluate_point = _import_function(args.evaluator) if getattr(args, "evaluator", None) else None
    summary = run_sweep(args.sweep, args.out, trials=args.trials,
                        address=None if serial else args.address, resume=args.resume,
                        new_study=args.new_study,
                        executor="serial" if serial else "ray", num_cpus=args.num_cpus,
                        progress=not args.no_progress, evaluate_point=evaluate_point)
    print(summary)
    return 130 if summary.stopped == "interrupted" else 0


def _import_function(text: str):
    import importlib
    module, _, name = text.partition(":")
    if not module or not name:
        raise CimdseError(f"--evaluator expects MODULE:FUNCTION, got {text!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise CimdseError(f"cannot import evaluator {text!r}: {err}") from None


def add_pareto_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "pareto", help="Pareto front (and hypervolume) of a sweep's results",
        description="Print the non-dominated designs of a results directory. Objectives "
                    "default to the sweep's; append :max or :min to set a direction.")
    p.add_argument("dir", help="results directory written by 'cimdse sweep'")
    p.add_argument("--objectives", default=None,
                   help="comma-separated result columns, e.g. energy_pj,latency_s,area_mm2 "
                        "(suffix :max to maximize)")
    p.add_argument("--plot", default=None, metavar="FILE",
                   help="save a scatter plot with the front (needs matplotlib)")
    p.add_argument("--ref", default=None,
                   help="hypervolume reference point, comma-separated "
                        "(default: 10%% beyond the front's worst values)")
    p.add_argument("--csv", default=None, metavar="FILE", help="also write the front as CSV")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run_pareto_command)
    return p


def _sweep_objectives(directory: Path) -> dict[str, str] | None:
    """The objectives of the sweep that wrote ``directory`` (from its sweep.yaml copy)."""
    from ..spec.yaml_io import LocDict, load_yaml_file
    from .parser import read_objectives
    path = directory / "sweep.yaml"
    if not path.exists():
        return None
    try:
        root = load_yaml_file(path)
        if isinstance(root, LocDict) and "objectives" in root:
            return {o.column: o.direction for o in read_objectives(root)}
    except CimdseError as err:
        log.warning("cannot read objectives from %s: %s", path, err)
    return None


def run_pareto_command(args: argparse.Namespace) -> int:
    import numpy as np
    from .pareto import default_reference, hypervolume, parse_objectives, pareto_front, plot_pareto
    from .store import read_results
    directory = Path(args.dir)
    df = read_results(directory)
    if df.empty:
        raise CimdseError(f"no results in {directory} (expected {directory}/designs/part-*.parquet)")
    try:
        objectives = parse_objectives(args.objectives, default=_sweep_objectives(directory))
    except ValueError as err:
        raise CimdseError(str(err)) from None
    try:
        front = pareto_front(df, objectives)
    except KeyError as err:
        raise CimdseError(str(err.args[0])) from None
    maximize = [d == "maximize" for d in objectives.values()]
    points = front[list(objectives)].to_numpy(dtype=float)
    hv, ref = None, None
    if 2 <= len(objectives) <= 3 and len(points):
        if args.ref:
            try:
                ref = np.array([float(x) for x in args.ref.split(",")])
            except ValueError:
                raise CimdseError(f"--ref must be comma-separated numbers, got {args.ref!r}") from None
            if len(ref) != len(objectives):
                raise CimdseError(f"--ref needs {len(objectives)} values")
        else:
            ref = default_reference(points, maximize)
        hv = hypervolume(points, ref, maximize)
    pcols = [c for c in front.columns if c.startswith("p.")]
    cols = ["design_id", "trial", *objectives, *pcols]
    table = front[[c for c in cols if c in front.columns]]
    n_ok = int((df["status"] == "ok").sum()) if "status" in df.columns else len(df)
    if args.json:
        print(json.dumps({"objectives": objectives, "designs": len(df), "feasible": n_ok,
                          "front": json.loads(table.to_json(orient="records")),
                          "hypervolume": hv, "reference": None if ref is None else list(map(float, ref))},
                         indent=2))
    else:
        print(f"{len(front)} Pareto-optimal of {n_ok} feasible designs ({len(df)} total) in "
              f"{directory}; objectives: "
              + ", ".join(f"{k} ({v})" for k, v in objectives.items()))
        if len(front):
            print(table.to_string(index=False))
        if hv is not None:
            print(f"hypervolume: {hv:.6g} (reference {', '.join(f'{x:.4g}' for x in ref)})")
    if args.csv:
        table.to_csv(args.csv, index=False)
    if args.plot:
        from .pareto import PlotUnavailable
        try:
            plot_pareto(df, objectives, args.plot)
            print(f"plot: {args.plot}")
        except PlotUnavailable as err:
            print(f"plot skipped: {err}", file=sys.stderr)
    return 0
