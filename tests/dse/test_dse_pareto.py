"""Non-dominated sorting and exact hypervolume against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cimdse.dse.pareto import (PlotUnavailable, default_reference, hypervolume,
                               is_nondominated, nondominated_sort, pareto_front,
                               parse_objectives, plot_pareto)


def brute(points):
    n = len(points)
    return np.array([not any(np.all(points[j] <= points[i]) and np.any(points[j] < points[i])
                             for j in range(n)) for i in range(n)])


def test_two_objectives_hand_case():
    p = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [2, 3], [5, 5], [1, 6]])
    assert is_nondominated(p).tolist() == [True, True, False, True, True, False, False]
    assert nondominated_sort(p).tolist() == [0, 0, 1, 0, 0, 2, 1]


def test_ties_on_one_objective():
    p = np.array([[1, 2], [1, 3], [0, 3], [2, 2]])
    # (1,2) vs (2,2): equal f2, better f1 -> (2,2) dominated; (1,3) dominated by (1,2)
    assert is_nondominated(p).tolist() == [True, False, True, False]


def test_maximize_flags():
    p = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 15.0]])      # min energy, max tops
    assert is_nondominated(p, [False, True]).tolist() == [True, True, False]
    assert is_nondominated(p, [False, False]).tolist() == [True, False, False]


def test_nan_rows_never_on_front():
    p = np.array([[np.nan, 0.0], [1.0, 1.0], [np.inf, -5]])
    assert is_nondominated(p).tolist() == [False, True, False]
    assert nondominated_sort(p).tolist() == [-1, 0, -1]


@pytest.mark.parametrize("k", [2, 3, 4])
def test_matches_brute_force(k):
    rng = np.random.default_rng(k)
    p = rng.integers(0, 6, size=(200, k)).astype(float)       # many ties and duplicates
    assert (is_nondominated(p) == brute(p)).all()


def test_hypervolume_2d_hand():
    # staircase: (2-1)*(6-5) + (4-2)*(6-3) + (6-4)*(6-1) = 1 + 6 + 10
    assert hypervolume([[1, 5], [2, 3], [4, 1]], [6, 6]) == pytest.approx(17.0)
    # dominated and outside-reference points add nothing
    assert hypervolume([[1, 5], [2, 3], [4, 1], [3, 4], [7, 0]], [6, 6]) == pytest.approx(17.0)
    assert hypervolume([[6, 1]], [6, 6]) == 0.0


def test_hypervolume_3d_hand():
    assert hypervolume([[1, 1, 1]], [2, 2, 2]) == pytest.approx(1.0)
    # three boxes of volume 2 overlapping pairwise and jointly in [2,3]^3: 6 - 3 + 1
    assert hypervolume([[1, 2, 2], [2, 1, 2], [2, 2, 1]], [3, 3, 3]) == pytest.approx(4.0)
    # box [0,4]x[0,4]x[0,4] minus nothing, plus a dominated point
    assert hypervolume([[0, 0, 0], [1, 1, 1]], [4, 4, 4]) == pytest.approx(64.0)
    # two boxes: [0,2]x[1,2]x[0,2] (vol 4) u [1,2]x[0,2]x[1,2] (vol 2), overlap [1,2]x[1,2]x[1,2] (1)
    assert hypervolume([[0, 1, 0], [1, 0, 1]], [2, 2, 2]) == pytest.approx(5.0)


def test_hypervolume_3d_matches_monte_carlo():
    rng = np.random.default_rng(0)
    p = rng.random((15, 3))
    ref = np.ones(3)
    samples = rng.random((200_000, 3))
    dominated = np.zeros(len(samples), dtype=bool)
    for q in p:
        dominated |= np.all(samples >= q, axis=1)
    assert hypervolume(p, ref) == pytest.approx(dominated.mean(), abs=0.01)


def test_hypervolume_maximize():
    # maximize both: points (5,1),(3,3),(1,5) vs ref (0,0): mirror of the minimize staircase
    assert hypervolume([[5, 1], [3, 3], [1, 5]], [0, 0], [True, True]) == pytest.approx(
        hypervolume([[-5, -1], [-3, -3], [-1, -5]], [0, 0]))
    assert hypervolume([[5, 1], [3, 3], [1, 5]], [0, 0], [True, True]) == pytest.approx(5 + 6 + 2)


def test_pareto_front_dataframe():
    df = pd.DataFrame({"design_id": list("abcde"), "status": ["ok", "ok", "ok", "infeasible", "ok"],
                       "energy_pj": [1.0, 2.0, 3.0, 0.1, 2.0], "tops": [1.0, 3.0, 2.0, 9.0, 3.0]})
    front = pareto_front(df, ["energy_pj", "tops"])                  # tops maximized by default
    assert list(front["design_id"]) == ["a", "b", "e"]
    front = pareto_front(df, "energy_pj,tops", feasible_only=False)
    assert list(front["design_id"]) == ["d"]
    with pytest.raises(KeyError):
        pareto_front(df, ["nope"])


def test_parse_objectives_and_reference():
    assert parse_objectives("energy_pj,tops_per_w,area_mm2:max") == {
        "energy_pj": "minimize", "tops_per_w": "maximize", "area_mm2": "maximize"}
    ref = default_reference(np.array([[1.0, 10.0], [3.0, 5.0]]), [False, True])
    assert ref.tolist() == pytest.approx([3.2, 4.5])


def test_plot_is_optional(tmp_path):
    df = pd.DataFrame({"status": ["ok"] * 3, "energy_pj": [1.0, 2.0, 3.0], "latency_s": [3.0, 2.0, 1.0]})
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(PlotUnavailable, match="matplotlib"):
            plot_pareto(df, ["energy_pj", "latency_s"], tmp_path / "p.png")
    else:
        plot_pareto(df, ["energy_pj", "latency_s"], tmp_path / "p.png")
        assert (tmp_path / "p.png").stat().st_size > 0


from hypothesis import given, settings, strategies as st  # noqa: E402


def _points(k):
    return st.lists(st.lists(st.integers(0, 5), min_size=k, max_size=k), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4).flatmap(lambda k: _points(k)))
def test_property_nondominated_matches_brute_force(pts):
    p = np.array(pts, dtype=float)
    assert (is_nondominated(p) == brute(p)).all()
    ranks = nondominated_sort(p)
    assert ((ranks == 0) == brute(p)).all() and ranks.min() == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 3).flatmap(lambda k: st.tuples(_points(k), st.lists(st.integers(0, 5), min_size=k, max_size=k))))
def test_property_hypervolume(case):
    pts, extra = case
    p = np.array(pts, dtype=float)
    ref = np.full(p.shape[1], 6.0)
    hv = hypervolume(p, ref)
    assert hv == pytest.approx(hypervolume(p[is_nondominated(p)], ref))       # front only
    assert hypervolume(np.vstack([p, extra]), ref) >= hv - 1e-9                # monotone
    # integer grid: count the unit cells dominated by at least one point
    k = p.shape[1]
    grid = np.stack(np.meshgrid(*[np.arange(6)] * k, indexing="ij"), -1).reshape(-1, k)
    covered = np.zeros(len(grid), dtype=bool)
    for q in p:
        covered |= np.all(grid >= q, axis=1)
    assert hv == pytest.approx(covered.sum())
