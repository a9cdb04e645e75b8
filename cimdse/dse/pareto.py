"""Pareto analysis: non-dominated sorting, exact hypervolume, fronts of result tables.

Objectives may be minimised or maximised (maximised ones are negated
internally). Rows with a missing objective, or one infinite on its worse
side, never belong to a front; infinite on its better side (the +inf
``sqnr_db`` of a datapath that adds no error) it is the best value and
ranks as such, though the hypervolume leaves such points out (it would be
infinite). Identical points do not dominate each other: all copies of a
non-dominated point are on the front.
"""

from __future__ import annotations

import logging
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import CimdseError
from ..metrics import MAXIMIZED

log = logging.getLogger(__name__)

DEFAULT_OBJECTIVES = ("energy_pj", "latency_s", "area_mm2")


class PlotUnavailable(CimdseError):
    """Plotting needs matplotlib (the optional ``plot`` extra)."""


def _as_min(points, maximize: Sequence[bool] | None) -> np.ndarray:
    f = np.array(points, dtype=float, copy=True)
    if f.ndim != 2:
        raise ValueError("points must be a 2-D array (n_points x n_objectives)")
    if maximize is not None:
        mx = np.asarray(maximize, dtype=bool)
        if mx.shape != (f.shape[1],):
            raise ValueError(f"maximize needs one flag per objective ({f.shape[1]})")
        f[:, mx] = -f[:, mx]
    return f


def _rankable(f: np.ndarray) -> np.ndarray:
    """Rows of minimisation-form points with no NaN and no +inf."""
    return np.all(~np.isnan(f) & (f != np.inf), axis=1)


def is_nondominated(points, maximize: Sequence[bool] | None = None) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``points`` (n x k).

    A row dominates another when it is no worse in every objective and
    strictly better in one. Vectorized: 2 objectives by a sort (O(n log n)),
    3 by a level-wise divide and conquer over the sorted points
    (O(n log^2 n), independent of the front's size), more by culling the
    distinct points in order of their sums (O(n x front)).
    """
    f = _as_min(points, maximize)
    n = f.shape[0]
    mask = np.zeros(n, dtype=bool)
    valid = _rankable(f)
    if not valid.any():
        return mask
    uniq, inverse = np.unique(f[valid], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if uniq.shape[1] == 1:
        nd = uniq[:, 0] == uniq[:, 0].min()
    elif uniq.shape[1] == 2:
        # np.unique sorts lexicographically: earlier rows have f1 <= f1_i, and a
        # distinct point is non-dominated iff its f2 beats every earlier f2.
        prev_min = np.minimum.accumulate(np.concatenate(([np.inf], uniq[:-1, 1])))
        nd = uniq[:, 1] < prev_min
    elif uniq.shape[1] == 3:
        nd = ~_dominated3(uniq)
    else:
        nd = _cull(uniq)
    mask[np.flatnonzero(valid)] = nd[inverse]
    return mask


def _dense_rank(x: np.ndarray) -> np.ndarray:
    return np.unique(x, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _dominated3(uniq: np.ndarray) -> np.ndarray:
    """Dominated mask of *distinct*, lexicographically sorted 3-objective points.

    In lexicographic order only an earlier point can dominate a later one, and
    an earlier point q dominates p iff q2 <= p2 and q3 <= p3 (q1 <= p1 holds by
    the order; distinctness makes one inequality strict). Every pair j < i is
    separated at exactly one level of a bottom-up merge tree: at level s the
    points form blocks of 2s, left half [earlier] and right half [later]. One
    level answers "does a left point of my block have f2 <= mine and f3 <= mine"
    for all right points at once: sort by (block, f2, left-before-right) and
    run a prefix minimum of f3 that cannot leak between blocks (each block's
    f3 ranks are offset below the previous block's). log2(n) levels of one
    argsort each.
    """
    m = len(uniq)
    dominated = np.zeros(m, dtype=bool)
    if m < 2:
        return dominated
    r2, r3 = _dense_rank(uniq[:, 1]), _dense_rank(uniq[:, 2])
    n2, n3 = int(r2.max()) + 1, int(r3.max()) + 1
    idx = np.arange(m, dtype=np.int64)
    big = np.iinfo(np.int64).max
    s = 1
    while s < m:
        block = idx // (2 * s)
        right = (idx // s) & 1
        order = np.argsort((block * n2 + r2) * 2 + right, kind="stable")
        thresh = r3 - block * n3                      # block offsets keep minima apart
        running = np.minimum.accumulate(np.where(right == 1, big, thresh)[order])
        is_right = right[order] == 1
        hit = is_right & (running <= thresh[order])
        dominated[order[hit]] = True
        s *= 2
    return dominated


def _cull(uniq: np.ndarray) -> np.ndarray:
    """Non-dominated mask of *distinct* points, O(n x front) vectorized.

    The remaining point with the smallest coordinate sum cannot be dominated
    (a dominator has a smaller sum and would have removed it, directly or
    transitively); take it and drop every point it dominates, repeat.
    """
    order = np.lexsort((*uniq.T[::-1], uniq.sum(axis=1)))
    pts = uniq[order]
    remaining = np.arange(len(pts))
    front = []
    while remaining.size:
        head = remaining[0]
        front.append(head)
        rest = remaining[1:]
        dominated = np.all(pts[head] <= pts[rest], axis=1)
        remaining = rest[~dominated]
    nd = np.zeros(len(uniq), dtype=bool)
    nd[order[np.array(front, dtype=int)]] = True
    return nd


def nondominated_sort(points, maximize: Sequence[bool] | None = None) -> np.ndarray:
    """Front index of every row (0 = Pareto front); -1 for rows a front cannot rank."""
    f = _as_min(points, maximize)
    rank = np.full(f.shape[0], -1, dtype=int)
    remaining = np.flatnonzero(_rankable(f))
    level = 0
    while remaining.size:
        nd = is_nondominated(f[remaining])
        rank[remaining[nd]] = level
        remaining = remaining[~nd]
        level += 1
    return rank


def _hv2(f: np.ndarray, ref: np.ndarray) -> float:
    f = f[np.all(f < ref, axis=1)]
    if not len(f):
        return 0.0
    f = f[is_nondominated(f)]
    f = np.unique(f, axis=0)                 # sorted by f1 ascending -> f2 descending
    x_next = np.append(f[1:, 0], ref[0])
    return float(np.sum((x_next - f[:, 0]) * (ref[1] - f[:, 1])))


def _hv3(f: np.ndarray, ref: np.ndarray) -> float:
    f = f[np.all(f < ref, axis=1)]
    if not len(f):
        return 0.0
    f = np.unique(f[is_nondominated(f)], axis=0)
    order = np.argsort(f[:, 2], kind="stable")
    f = f[order]
    levels = np.unique(f[:, 2])
    volume = 0.0
    for i, z in enumerate(levels):
        z_next = levels[i + 1] if i + 1 < len(levels) else ref[2]
        volume += (z_next - z) * _hv2(f[f[:, 2] <= z][:, :2], ref[:2])
    return float(volume)


def hypervolume(points, ref, maximize: Sequence[bool] | None = None) -> float:
    """Exact hypervolume dominated by ``points`` and bounded by ``ref`` (2 or 3 objectives).

    For maximised objectives give ``ref`` in the original units (a value
    below every point); points not strictly better than ``ref`` in every
    objective contribute nothing.
    """
    f = _as_min(points, maximize)
    r = _as_min(np.asarray(ref, dtype=float).reshape(1, -1), maximize)[0]
    if r.shape[0] != f.shape[1]:
        raise ValueError(f"ref has {r.shape[0]} values for {f.shape[1]} objectives")
    f = f[np.all(np.isfinite(f), axis=1)]
    if f.shape[1] == 1:
        return float(max(0.0, r[0] - f[:, 0].min())) if len(f) else 0.0
    if f.shape[1] == 2:
        return _hv2(f, r)
    if f.shape[1] == 3:
        return _hv3(f, r)
    raise ValueError("exact hypervolume is implemented for 1, 2 and 3 objectives")


def parse_objectives(objectives: str | Iterable[str] | Mapping[str, str] | None,
                     default: Mapping[str, str] | None = None) -> dict[str, str]:
    """``"energy_pj,tops_per_w:max"`` / list / mapping -> {column: minimize|maximize}."""
    if objectives is None:
        if default:
            return dict(default)
        objectives = DEFAULT_OBJECTIVES
    if isinstance(objectives, Mapping):
        items = list(objectives.items())
    else:
        if isinstance(objectives, str):
            objectives = [s for s in objectives.split(",") if s.strip()]
        items = []
        for text in objectives:
            name, _, d = text.strip().partition(":")
            items.append((name.strip(), d.strip() or None))
    out = {}
    for name, d in items:
        d = (d or ("maximize" if name in MAXIMIZED else "minimize")).lower()
        d = {"min": "minimize", "max": "maximize"}.get(d, d)
        if d not in ("minimize", "maximize"):
            raise ValueError(f"direction of {name!r} must be min or max, got {d!r}")
        out[name] = d
    return out


def pareto_front(df, objectives=None, feasible_only: bool = True):
    """Rows of a results DataFrame on the Pareto front of ``objectives``
    (sorted by the first objective). With ``feasible_only``, only
    ``status == 'ok'`` rows are considered."""
    obj = parse_objectives(objectives)
    missing = [c for c in obj if c not in df.columns]
    if missing:
        raise KeyError(f"objective column(s) not in the results: {', '.join(missing)}; "
                       f"numeric columns: {', '.join(_numeric_columns(df))}")
    if feasible_only and "status" in df.columns:
        df = df[df["status"] == "ok"]
    points = df[list(obj)].to_numpy(dtype=float, na_value=np.nan)
    mask = is_nondominated(points, [d == "maximize" for d in obj.values()])
    return df[mask].sort_values(list(obj)[0], kind="stable")


def _numeric_columns(df) -> list[str]:
    return [c for c in df.columns if str(df[c].dtype).lower().startswith(("float", "int"))]


def default_reference(front_points: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """A reference point 10 % of the range beyond the front's worst value per objective."""
    f = _as_min(front_points, maximize)
    f = np.where(np.isfinite(f), f, np.nan)     # an infinite best value bounds nothing
    if np.all(np.isnan(f), axis=0).any():
        f = np.where(np.isnan(f), 0.0, f)
    worst, best = np.nanmax(f, axis=0), np.nanmin(f, axis=0)
    span = np.where(worst > best, worst - best, np.where(worst != 0, np.abs(worst), 1.0))
    ref = worst + 0.1 * span
    return np.where(np.asarray(maximize, dtype=bool), -ref, ref)


#: Axis labels of the result columns (name, unit).
_LABELS = {
    "energy_pj": ("energy", "pJ"), "latency_s": ("latency", "s"), "area_mm2": ("area", "mm²"),
    "tops": ("throughput", "TOPS"), "tops_per_w": ("energy efficiency", "TOPS/W"),
    "tops_per_mm2": ("area efficiency", "TOPS/mm²"), "energy_per_mac_fj": ("energy per MAC", "fJ"),
    "cycles": ("cycles", "cycles"), "macs": ("MACs", "MACs"), "utilization": ("utilization", "0-1"),
    "sqnr_db": ("output SQNR", "dB"),
}


def axis_label(column: str, direction: str | None = None) -> str:
    """``energy (pJ) [energy_pj, lower is better]``-style label of a result column."""
    if column in _LABELS:
        name, unit = _LABELS[column]
    elif column.startswith("e."):
        name, unit = f"{column[2:]} energy", "pJ"
    elif column.startswith("area."):
        name, unit = f"{column[5:]} area", "mm²"
    else:
        name, unit = column, None
    text = f"{name} ({unit})" if unit else name
    if direction:
        text += f"  [{column}, {'lower' if direction == 'minimize' else 'higher'} is better]"
    return text


def plot_pareto(df, objectives=None, path=None, feasible_only: bool = True,
                log_scale: bool = True):
    """Scatter of the designs with the Pareto front highlighted.

    The first two objectives are the axes (labelled with units); a third one
    colours the feasible designs. The front (of all given objectives, over the
    feasible designs -- or all designs without ``feasible_only``) is drawn on
    top in red, with a staircase for two objectives. Designs that are not
    feasible (``status != 'ok'``) but have values are drawn in grey. Saves to
    ``path`` if given; returns the matplotlib Figure. Needs matplotlib
    (``pip install matplotlib``).
    """
    try:
        import matplotlib
        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("plotting needs matplotlib: pip install 'cimdse[plot]' "
                              "(or pip install matplotlib)") from None
    obj = parse_objectives(objectives)
    names = list(obj)
    if len(names) < 2:
        raise ValueError("plotting needs at least two objectives")
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise KeyError(f"objective column(s) not in the results: {', '.join(missing)}")
    x, y = names[0], names[1]
    has_xy = df[[x, y]].notna().all(axis=1)
    if feasible_only and "status" in df.columns:
        ok = df["status"] == "ok"
        data, other = df[ok & has_xy], df[~ok & has_xy]
    else:
        data, other = df[has_xy], df.iloc[0:0]
    front = pareto_front(data, obj, feasible_only=False)
    fig, ax = plt.subplots(figsize=(7, 5))
    if len(other):
        ax.scatter(other[x], other[y], s=12, marker="x", color="0.7", linewidths=0.8,
                   label=f"infeasible / failed ({len(other)})", zorder=1)
    kw = {}
    if len(names) >= 3:
        kw = dict(c=data[names[2]].to_numpy(dtype=float), cmap="viridis")
    else:
        kw = dict(color="tab:blue")
    sc = ax.scatter(data[x], data[y], s=14, alpha=0.6, label=f"feasible ({len(data)})",
                    zorder=2, **kw)
    if len(names) >= 3 and len(data):
        fig.colorbar(sc, ax=ax, label=axis_label(names[2], obj[names[2]]))
    ax.scatter(front[x], front[y], s=46, facecolors="none", edgecolors="red", linewidths=1.4,
               label=f"Pareto front ({len(front)})", zorder=3)
    if len(names) == 2 and len(front):
        ax.step(front[x], front[y], where="post", color="red", linewidth=1, zorder=3)
    if log_scale:
        shown = df[has_xy]
        for setter, col in ((ax.set_xscale, x), (ax.set_yscale, y)):
            values = shown[col].astype(float)
            if len(values) and (values > 0).all() and values.max() > 10 * values.min():
                setter("log")
        from matplotlib.ticker import NullFormatter
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_formatter(NullFormatter())    # no overlapping 2x10^4 3x10^4 ...
    ax.set_xlabel(axis_label(x, obj[x]))
    ax.set_ylabel(axis_label(y, obj[y]))
    title = "Pareto front of " + ", ".join(names)
    if len(names) > 3:
        title += f" (axes: {x}, {y}; colour: {names[2]})"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return fig
