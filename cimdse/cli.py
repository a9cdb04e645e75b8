"""The ``cimdse`` command line.

Each subcommand is a small function taking parsed arguments and returning an
exit code. Errors cimdse raises on purpose (bad spec, bad workload) print
their message only, without a traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from ._version import __version__
from .spec import Design, load, parse_set
from .spec.errors import CimdseError

log = logging.getLogger(__name__)
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _command(name: str):
    def register(func: Callable[[argparse.Namespace], int]):
        _COMMANDS[name] = func
        return func
    return register


# --------------------------------------------------------------------- check

@_command("check")
def _check(args: argparse.Namespace) -> int:
    design = load(spec_file(args.spec), overrides=parse_set(args.set), **_composition(args))
    print(format_tree(design))
    return 0


def spec_file(text: str) -> Path:
    """A SPEC argument: a file, or the name of a shipped macro (``cimdse
    macros``) when no such file exists and the text is a bare name."""
    path = Path(text)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) != 1:
        return path
    from .validation import macro_path
    return macro_path(text)


def format_tree(design: Design) -> str:
    """The resolved hierarchy as an indented tree with instance counts."""
    lines = [f"{design.name}  ({design.source})"]
    if design.variables:
        lines.append("variables: " + ", ".join(f"{k}={_fmt(v)}" for k, v in design.variables.items()))
    depth = 0
    inherited: dict[str, Any] = {}
    for node in design.nodes:
        pad = "  " * depth
        lines.append(pad + _node_header(node))
        own = {k: v for k, v in node.attributes.items()
               if k not in inherited or inherited[k] != v}
        if own:
            lines.append(pad + "    attributes: " + ", ".join(f"{k}={_fmt(v)}" for k, v in own.items()))
        constraints = _constraint_text(node)
        if constraints:
            lines.append(pad + "    constraints: " + constraints)
        if node.is_container:
            inherited = dict(node.attributes)
            depth += 1
    return "\n".join(lines)


def _node_header(node) -> str:
    kind = "container" if node.is_container else f"component {node.cls}"
    text = f"{node.name} [{kind}] x{node.instances}"
    if node.fanout > 1:
        text += f"  (mesh {node.mesh_x}x{node.mesh_y}, spatial reuse: {_tensors(node.spatial_reuse)})"
    if node.is_component:
        parts = [f"{d.replace('_', ' ')}: {_tensors(getattr(node, d))}"
                 for d in ("temporal_reuse", "coalesce", "no_coalesce") if getattr(node, d)]
        bypass = sorted({"Inputs", "Weights", "Outputs"} - node.tensors)
        if bypass:
            parts.append(f"bypass: {', '.join(bypass)}")
        parts += [f"{key.replace('_', ' ')} {getattr(node, key):g}"
                  for key in ("copies", "energy_scale", "area_scale") if getattr(node, key) != 1]
        text += "  " + "; ".join(parts)
    return text


def _constraint_text(node) -> str:
    c = node.constraints
    parts = []
    for scope in ("temporal", "spatial"):
        loops = getattr(c, scope)
        if loops.is_empty:
            continue
        bits = [str(f) for f in loops.factors]
        if loops.factors_only is not None:
            bits.append(f"factors_only=[{' '.join(loops.factors_only)}]")
        if loops.loop_order:
            bits.append(f"loop_order=[{' '.join(loops.loop_order)}]")
        if loops.no_iteration_over:
            bits.append(f"no_iteration_over=[{' '.join(loops.no_iteration_over)}]")
        if loops.must_iterate_over:
            bits.append(f"must_iterate_over=[{' '.join(loops.must_iterate_over)}]")
        parts.append(f"{scope}: " + " ".join(bits))
    if c.max_utilization:
        parts.append("max_utilization: " + " ".join(f"{d}={v}" for d, v in c.max_utilization.items()))
    if c.min_utilization:
        parts.append(f"min_utilization: {c.min_utilization:g}")
    return "; ".join(parts)


def _tensors(names) -> str:
    order = ("Inputs", "Weights", "Outputs")
    return ", ".join(t for t in order if t in names) or "none"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# --------------------------------------------------------------------- evaluate

@_command("evaluate")
def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate
    design = load(spec_file(args.spec), overrides=parse_set(args.set), **_composition(args))
    result = evaluate(design, args.workload, layer=args.layer)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.summary())
    return 0


# --------------------------------------------------------------------- accuracy

@_command("accuracy")
def _accuracy(args: argparse.Namespace) -> int:
    from .reference import accuracy
    design = load(spec_file(args.spec), overrides=parse_set(args.set))
    report = accuracy(design, args.workload, layers=args.layer or None, vectors=args.vectors,
                      cols=args.cols, seed=args.seed)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    return 0


# --------------------------------------------------------------------- profile

@_command("profile")
def _profile(args: argparse.Namespace) -> int:
    from .profile import load_samples, parse_size, profile_onnx
    from .profile.quantize import check_bits
    from .profile.writer import check_target
    bits, keep = check_bits(args.bits), parse_size(args.keep_tensors or 0)
    out = check_target(args.out)
    samples = load_samples(args.inputs)
    profiled = profile_onnx(args.model, samples, bits=bits, keep_tensors=keep,
                            skip_unsupported=args.skip_unsupported, samples_name=args.inputs)
    profiled.write(out, cimloop_format=args.cimloop_format)
    print(profiled.summary())
    print(f"workload written to {out} (evaluate it: cimdse evaluate SPEC --workload {out})")
    return 0


# --------------------------------------------------------------------- dse

def _run_dse(args: argparse.Namespace) -> int:
    return args.func(args)


_COMMANDS["sweep"] = _run_dse
_COMMANDS["pareto"] = _run_dse


# --------------------------------------------------------------------- listings

@_command("workloads")
def _workloads(args: argparse.Namespace) -> int:
    from .workload import get_network, list_networks
    rows = []
    for name in list_networks():
        net = get_network(name, batch=args.batch)
        rows.append({"name": name, "layers": len(net.layers), "macs": net.macs})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'network':<22}{'layers':>8}{'MACs (G)':>12}")
    for row in rows:
        print(f"{row['name']:<22}{row['layers']:>8}{row['macs'] / 1e9:>12.3f}")
    return 0


@_command("components")
def _components(args: argparse.Namespace) -> int:
    from .components import model_infos
    infos = model_infos()
    if args.json:
        print(json.dumps({i.name: {"source": i.model.source, "package": i.package,
                                   "entry_point": i.entry_point, "consumes": i.model.consumes,
                                   "attributes": i.model.describe()}
                          for i in infos}, indent=2, default=str))
        return 0
    for info in infos:
        model = info.model
        plugin = f", entry point {info.entry_point}" if info.entry_point else ""
        print(f"{info.name}: {model.source}")
        print(f"    [{info.package}{plugin}; consumes {model.consumes}]")
        for row in model.describe():
            default = row["default"]
            valid = f" range={row['range']}" if row["range"] else ""
            print(f"    {row['attribute']:<18} [{row['unit']}] default={default}{valid}  "
                  f"{row['doc']}")
    return 0


# --------------------------------------------------------------------- macros / validate

@_command("macros")
def _macros(args: argparse.Namespace) -> int:
    from .validation import list_macros, macros_dir
    directory = macros_dir() if args.dir is None else Path(args.dir)
    infos = list_macros(directory)
    if not infos:
        raise CimdseError(f"no macro specs (*.yaml) in {directory}")
    if args.json:
        print(json.dumps([m.to_dict() for m in infos], indent=2, default=str))
        return 0
    print(f"macros in {directory}:")
    print(f"{'name':<22}{'array':>11}{'node':>8}  paper / description")
    for m in infos:
        array = f"{m.rows}x{m.cols}"
        print(f"{m.name:<22}{array:>11}{_fmt(m.technology) + ' nm':>8}  {m.paper}")
        print(f"{'':<43}{m.description}")
    return 0


@_command("validate")
def _validate(args: argparse.Namespace) -> int:
    from .validation import load_references, validate
    refs = load_references(args.references)
    report = validate(refs, macros=args.macro or None)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report.summary())
    return 0


# --------------------------------------------------------------------- parser

SPEC_HELP = "spec YAML file, or the name of a shipped macro (see `cimdse macros`)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cimdse",
        description="Model compute-in-memory DNN accelerators and explore their design space.")
    parser.add_argument("--version", action="version", version=f"cimdse {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="validate a spec and print its resolved hierarchy")
    check.add_argument("spec", help=SPEC_HELP)
    _add_set(check)
    _add_composition(check)
    check.add_argument("--workload", default=None,
                       help="network defining the workload-derived variables (WORKLOAD_WEIGHTS, "
                            "WORKLOAD_MAX_LAYER_WEIGHTS)")

    evaluate = sub.add_parser(
        "evaluate", help="energy, latency, throughput and area of a design on a workload",
        description="Map every layer of the workload on the design (best mapping by the spec's "
                    "mapper metric) and report the totals.")
    evaluate.add_argument("spec", help=SPEC_HELP)
    evaluate.add_argument("--workload", default="max_utilization",
                          help="built-in network (see `cimdse workloads`), CiMLoop workload file or "
                               "directory, or max_utilization (default: one layer that exactly "
                               "fills the hardware)")
    evaluate.add_argument("--layer", type=int, default=None, help="evaluate only layer I (0-based)")
    _add_set(evaluate)
    _add_composition(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    acc = sub.add_parser(
        "accuracy",
        help="self-consistency check: statistical averaging vs value-level resampling, per layer",
        description="A self-consistency check of the statistical energy model, not accuracy "
                    "against an independent simulator: map every layer once, then price its "
                    "action counts with the statistical averaging over the operand "
                    "distributions, with a value-level resampling of the same distributions "
                    "(the same component models evaluated per action on sampled operand "
                    "values) and with a fixed-energy baseline (statistics averaged over all "
                    "layers); differences are fractions of the value-level energy. Accuracy "
                    "against published silicon is `cimdse validate`.")
    acc.add_argument("spec", help=SPEC_HELP)
    acc.add_argument("--workload", default="resnet18",
                     help="built-in network, CiMLoop workload file or directory (default resnet18)")
    acc.add_argument("--layer", type=int, action="append", default=[], metavar="I",
                     help="compare only layer I (0-based); repeatable")
    acc.add_argument("--vectors", type=int, default=256,
                     help="input vectors in each layer's sampled tile (default 256)")
    acc.add_argument("--cols", type=int, default=64,
                     help="weight columns in each layer's sampled tile (default 64)")
    acc.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    _add_set(acc)
    acc.add_argument("--json", action="store_true", help="print one JSON object")

    prof = sub.add_parser(
        "profile", help="record a trained ONNX model's layers and real operand histograms "
                        "as a workload directory",
        description="Run an ONNX model on sample inputs and write each convolution and matrix "
                    "product as a layer file (einsum dims, strides, groups) with the histograms "
                    "of its inputs, weights and outputs, quantised symmetrically per tensor to "
                    "--bits; `cimdse evaluate SPEC --workload DIR` reads the directory. An op "
                    "that carries MACs cimdse cannot map stops the run, named by op and node, "
                    "unless --skip-unsupported. See docs/profile.md.")
    prof.add_argument("model", help="ONNX model file (weights inside the file)")
    prof.add_argument("--inputs", required=True, metavar="SAMPLE.npy",
                      help="sample inputs, samples along the first axis: .npy for a model with "
                           "one input, .npz with one array per input name")
    prof.add_argument("--out", required=True, metavar="DIR",
                      help="directory to write the workload to (new or empty)")
    prof.add_argument("--bits", type=int, default=8,
                      help="bit width every tensor is quantised to (default 8)")
    prof.add_argument("--keep-tensors", default=None, metavar="SIZE",
                      help="also keep real tensor values, at most SIZE bytes per layer "
                           "(e.g. 512K, 4M), as .npy next to the layer files")
    prof.add_argument("--cimloop-format", action="store_true",
                      help="write the layer files as CiMLoop's own (with its problem_base "
                           "include), for a CiMLoop workload folder")
    prof.add_argument("--skip-unsupported", action="store_true",
                      help="profile the other layers when some op carries MACs cimdse cannot "
                           "map (each is reported)")

    from .dse.cli import add_pareto_parser, add_sweep_parser
    add_sweep_parser(sub)
    add_pareto_parser(sub)

    workloads = sub.add_parser("workloads", help="list the built-in networks")
    workloads.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    workloads.add_argument("--json", action="store_true", help="print JSON")

    components = sub.add_parser(
        "components", help="list the component models and their attributes",
        description="List every component class a spec can name: the built-in models and those "
                    "of installed plug-in packages (entry-point group cimdse.components), with "
                    "the package providing each, what it consumes, and its attributes.")
    components.add_argument("--json", action="store_true", help="print JSON")

    macros = sub.add_parser(
        "macros", help="list the published macro models (configs/macros)",
        description="List the macro specs in configs/macros (found from the current directory "
                    "upwards, else the copy installed with the package; $CIMDSE_MACROS "
                    "overrides): name, paper, description, array size and technology.")
    macros.add_argument("--dir", default=None, help="macro directory (default: configs/macros)")
    macros.add_argument("--json", action="store_true", help="print JSON")

    val = sub.add_parser(
        "validate", help="compare the macro models with published silicon figures",
        description="Evaluate every reference figure's condition (macro + overrides + workload) "
                    "and print model vs reference, the error per row, and the mean absolute "
                    "error per macro, per metric family (with the CiMLoop paper's bounds) and "
                    "overall.")
    val.add_argument("--macro", action="append", default=[], metavar="NAME",
                     help="validate only this macro; repeatable")
    val.add_argument("--references", default=None, metavar="CSV",
                     help="reference table: one CSV file, or a directory whose *.csv files are "
                          "all read (default: the shipped cimdse/data/references/)")
    val.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                        help="override a variable (KEY) or node attribute (NODE.ATTR); "
                             "VALUE is parsed as YAML; repeatable")


def _add_composition(parser: argparse.ArgumentParser) -> None:
    for level in ("system", "chip", "tile"):
        parser.add_argument(f"--{level}", default=None, metavar="NAME|FILE",
                            help=f"place the spec inside this {level} level: a name in "
                                 f"configs/systems/{level}/ or a YAML file")


def _composition(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``load``: --system/--chip/--tile and --workload (which
    defines the workload-derived variables)."""
    return {k: getattr(args, k) for k in ("system", "chip", "tile", "workload")
            if getattr(args, k, None)}


#: Options naming files or directories a command writes.
OUTPUT_OPTIONS = ("out", "csv", "plot")


def _output_paths(args: argparse.Namespace) -> list[str]:
    return [str(getattr(args, k)) for k in OUTPUT_OPTIONS if getattr(args, k, None)]


def _report_os_error(err: OSError, args: argparse.Namespace) -> None:
    print(f"error: {os_error_text(err, _output_paths(args))}", file=sys.stderr)


class _NamedStdout:
    """``sys.stdout`` whose write errors (which carry no file name, e.g. a
    full disk behind a redirection) name it."""

    NAME = "standard output"

    def __init__(self, stream: Any):
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as err:
            raise OSError(err.errno, err.strerror, self.NAME) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as err:
            raise OSError(err.errno, err.strerror, self.NAME) from None


def os_error_text(err: OSError, outputs: list[str] = ()) -> str:
    """One line for an OSError: the path(s) it names (else the command's
    output paths) and the system's reason."""
    paths = [str(p) for p in (err.filename, err.filename2) if p is not None]
    where = " -> ".join(paths) if paths else ", ".join(outputs)
    reason = err.strerror or str(err) or type(err).__name__
    if err.errno == errno.ENOSPC:
        reason += " (free some space or write elsewhere)"
    return f"{where}: {reason}" if where else reason


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    stdout, sys.stdout = sys.stdout, _NamedStdout(sys.stdout)
    try:
        code = _COMMANDS[args.command](args)
        sys.stdout.flush()      # a full disk behind stdout fails here, inside the handlers
        return code
    except CimdseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except OSError as err:   # unwritable --out, full disk, unreadable file
        _report_os_error(err, args)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
