"""`cimdse validate`: the machinery on a hand-made case, the shipped
reference table, and the per-family error bounds of the implemented macros."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cimdse.cli import main
from cimdse.validation import (BOUNDS, REFERENCES, ROLES, Reference, Row, Validation,
                               ValidationError, distributions_for, load_references,
                               model_quantity, parse_overrides, read_references, validate)

from shared_data import CIMLOOP_WORKLOADS, require_shared

REPO = Path(__file__).resolve().parents[2]

TINY = """\
# comment lines are skipped
macro,source_paper,condition,metric,reference_value,unit,family,quantity,components,overrides,workload,model_scale,distributions,role
toy,"Paper Fig. 1",a,throughput,2.0,TOPS,throughput,tops,,VOLTAGE=0.9;ROWS=64,max_utilization,1,,prediction
toy,"Paper Fig. 2",a,efficiency,10.0,TOPS/W,energy_efficiency,tops_per_w,,VOLTAGE=0.9;ROWS=64,max_utilization,1,,prediction
toy,"Paper Fig. 3",b,adc energy,30.0,pJ,energy_breakdown,energy_pj,adc,,max_utilization,1,,prediction
toy,"Paper Fig. 3",b,array energy,50.0,pJ,energy_breakdown,energy_pj,dac+cell,,max_utilization,1,,prediction
toy,"Paper Fig. 4",b,adc area,100.0,um^2,area_breakdown,area_um2,adc,,max_utilization,1,,prediction
toy,"Paper Fig. 5",b,chip tops 1b,4.0,TOPS,throughput,tops_1b,,,max_utilization,2,,prediction
"""

# 1000 MACs in 1 us, 100 pJ: 0.002 TOPS, 20 TOPS/W
RESULT = {"macs": 1000, "latency_s": 1e-6,
          "breakdown": {"energy_pj": {"adc": 30.0, "dac": 20.0, "cell": 50.0},
                        "area_um2": {"adc": 90.0, "dac": 10.0, "cell": 900.0}}}


def fake_evaluator(calls):
    def run(ref):
        calls.append(ref.case)
        return RESULT, {"INPUT_BITS": 2, "WEIGHT_BITS": 4}
    return run


def test_parse_overrides_yaml_values():
    assert parse_overrides("VOLTAGE=0.9; ROWS=64;CELL=sram.cell") == \
        (("VOLTAGE", 0.9), ("ROWS", 64), ("CELL", "sram.cell"))
    assert parse_overrides("") == ()
    with pytest.raises(ValidationError):
        parse_overrides("VOLTAGE")


def test_model_quantity_subsets_and_1b():
    assert model_quantity(RESULT, "tops") == pytest.approx(0.002)
    assert model_quantity(RESULT, "tops_per_w") == pytest.approx(20.0)
    assert model_quantity(RESULT, "tops_per_w", ["adc", "dac"]) == pytest.approx(40.0)
    assert model_quantity(RESULT, "energy_pj", ["dac", "cell"]) == pytest.approx(70.0)
    assert model_quantity(RESULT, "area_mm2") == pytest.approx(1e-3)
    assert model_quantity(RESULT, "tops_per_mm2") == pytest.approx(2.0)
    assert model_quantity(RESULT, "tops_1b", variables={"INPUT_BITS": 2,
                                                        "WEIGHT_BITS": 4}) == pytest.approx(0.016)
    with pytest.raises(ValidationError, match="no component 'sram'"):
        model_quantity(RESULT, "energy_pj", ["sram"])


def test_validate_tiny_case_by_hand():
    refs = read_references(TINY)
    assert len(refs) == 6 and refs[0].overrides == (("VOLTAGE", 0.9), ("ROWS", 64))
    calls = []
    v = validate(refs, evaluator=fake_evaluator(calls))
    errors = [round(r.error, 6) for r in v.rows]
    # tops 0.002 vs 2.0; 20 vs 10 TOPS/W; adc 30 vs 30; dac+cell 70 vs 50; adc area 90 vs 100;
    # 1b tops x 8 bits x scale 2 = 0.032 vs 4.0
    assert errors == [-0.999, 1.0, 0.0, 0.4, -0.1, -0.992]
    fam = v.families()
    assert fam["throughput"]["prediction"]["mean_abs_error"] == pytest.approx((0.999 + 0.992) / 2)
    assert fam["energy_breakdown"]["prediction"]["mean_abs_error"] == pytest.approx(0.2)
    assert fam["energy_breakdown"]["prediction"]["max_abs_error"] == pytest.approx(0.4)
    assert fam["energy_breakdown"]["calibration"] == {"n": 0, "mean_abs_error": None,
                                                      "max_abs_error": None}
    assert fam["area_breakdown"]["within_bound"] is False      # 10 % > 5 %
    assert fam["energy_efficiency"]["bound"] == BOUNDS["energy_efficiency"] == 0.05
    assert v.overall()["prediction"]["mean_abs_error"] == pytest.approx(
        (0.999 + 1.0 + 0 + 0.4 + 0.1 + 0.992) / 6)
    assert v.macros()["toy"]["n"] == 6
    assert {f["family"] for f in v.failures()} == {"throughput", "energy_efficiency",
                                                   "energy_breakdown", "area_breakdown"}
    d = json.loads(json.dumps(v.to_dict()))
    assert set(d) >= {"rows", "families", "macros", "overall", "derived", "within_bounds"}
    assert d["within_bounds"] is False
    assert d["rows"][1]["source"] == "Paper Fig. 2" and d["rows"][1]["model"] == 20.0
    assert d["rows"][1]["role"] == "prediction"
    text = v.summary()
    assert "energy_breakdown" in text and "+40.0%" in text and "OVER" in text


def test_bad_rows_are_rejected():
    with pytest.raises(ValidationError, match="unknown family"):
        Reference("m", "", "", "x", 1.0, "", "speed", "tops")
    with pytest.raises(ValidationError, match="unknown quantity"):
        Reference("m", "", "", "x", 1.0, "", "throughput", "gops")
    with pytest.raises(ValidationError, match="unknown distributions"):
        Reference("m", "", "", "x", 1.0, "", "throughput", "tops", distributions="normal")
    with pytest.raises(ValidationError, match="unknown distributions"):
        Reference("m", "", "", "x", 1.0, "", "throughput", "tops", distributions="mean=1.5")
    with pytest.raises(ValidationError, match="unknown role"):
        Reference("m", "", "", "x", 1.0, "", "throughput", "tops", role="fitted")
    with pytest.raises(ValidationError, match="missing column.*role"):
        read_references("macro,metric,reference_value,family,quantity\n"
                        "m,x,1.0,throughput,tops\n")


def test_mean_distributions_set_average_values():
    from cimdse.statistics import EncodingConvention, OperandEncoding, layer_stats
    dists = distributions_for("mean=0.6")
    conv = EncodingConvention(*(OperandEncoding("magnitude", 4, 4),) * 3, resample="cimloop")
    stats = next(layer_stats(conv, distributions={**dists, "Outputs": dists["Inputs"]}).pairs())
    # CiMLoop's AVERAGE_INPUT_VALUE / AVERAGE_WEIGHT_VALUE
    assert stats["Inputs"].mean_slice_value == pytest.approx(0.6)
    assert stats["Weights"].mean_slice_value == pytest.approx(0.6)


def test_cimloop_jia_distributions_match_its_iso_histograms():
    from cimdse.statistics import EncodingConvention, OperandEncoding, layer_stats
    dists = distributions_for("cimloop_jia")
    conv = EncodingConvention(OperandEncoding("offset_if_signed", 1, 1),
                              OperandEncoding("offset_if_signed", 1, 1),
                              OperandEncoding("offset_if_signed", 1, 1), resample="cimloop")
    stats = next(layer_stats(conv, distributions={**dists, "Outputs": dists["Inputs"]}).pairs())
    # inputs 0..3 with weights 8:4:2:1 (unsigned: magnitude); a 1-bit input keeps
    # the MSB, set for 2 and 3: (2 + 1) / 15
    assert stats["Inputs"].mean_slice_value == pytest.approx(3 / 15)
    # flat signed weights -7..7; the offset code v + 7 has its MSB set for v = 1..7
    assert stats["Weights"].mean_slice_value == pytest.approx(7 / 15)


def test_shipped_references_cite_sources_and_name_macros():
    refs = load_references()
    assert len(refs) >= 60
    macros = {r.macro for r in refs}
    assert macros >= {"jia_jssc_2020", "sinangil_jssc_2021", "wan_nature_2022",
                      "wang_vlsi_2022"}
    for r in refs:
        assert r.source and any(k in r.source for k in ("Fig.", "Table", "Sec.")), r
        assert r.role in ROLES
        assert (REPO / "configs" / "macros" / f"{r.macro}.yaml").is_file()


def test_reference_directory_holds_one_file_per_macro():
    for path in sorted(REFERENCES.glob("*.csv")):
        assert {r.macro for r in load_references(path)} == {path.stem}, path
    assert (REFERENCES / "README.md").is_file()


def test_load_references_reads_a_directory_or_one_file(tmp_path):
    header = "macro,source_paper,metric,reference_value,family,quantity,role\n"
    (tmp_path / "a.csv").write_text("# a\n" + header + "a,Fig. 1,x,1.0,throughput,tops,"
                                    "calibration\n")
    (tmp_path / "b.csv").write_text(header + "b,Fig. 2,y,2.0,throughput,tops,prediction\n")
    (tmp_path / "notes.md").write_text("not a table")
    assert [r.macro for r in load_references(tmp_path)] == ["a", "b"]
    assert [r.role for r in load_references(tmp_path / "a.csv")] == ["calibration"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="no \\*.csv"):
        load_references(tmp_path / "empty")




FITTED_TO = re.compile(r"#\s*fitted to:\s*(\w+)\.csv rows? (.*)")


def _fitted_to_comments(spec: Path) -> list[tuple[str, list[str]]]:
    """(reference file stem, quoted row metrics) of every ``# fitted to:``
    comment, continuation lines (``#   ...``) included."""
    out, lines = [], spec.read_text().splitlines()
    for i, line in enumerate(lines):
        got = FITTED_TO.search(line)
        if not got:
            continue
        text = got.group(2)
        for more in lines[i + 1:]:
            if not re.match(r"\s*#\s{3}", more):
                break
            text += " " + more.strip().lstrip("#")
        out.append((got.group(1), re.findall(r"'([^']+)'", text)))
    return out


CALIBRATED = ("jia_jssc_2020", "sinangil_jssc_2021", "wan_nature_2022", "wang_vlsi_2022")


@pytest.mark.parametrize("macro", CALIBRATED)
def test_fitted_constants_name_calibration_rows(macro):
    """Every ``# fitted to:`` comment names existing calibration rows (by
    metric prefix), and every calibration row is named by one."""
    refs = load_references(REFERENCES / f"{macro}.csv")
    calibration = [r.metric for r in refs if r.role == "calibration"]
    named = set()
    comments = _fitted_to_comments(REPO / "configs" / "macros" / f"{macro}.yaml")
    assert comments
    for stem, metrics in comments:
        assert stem == macro and metrics
        for m in metrics:
            hits = [c for c in calibration if c.startswith(m)]
            assert hits, f"{macro}: 'fitted to' names {m!r}, not a calibration row"
            named.update(hits)
    assert set(calibration) - named <= {m for m in calibration if _is_sum_of_fits(m)}


@pytest.mark.parametrize("macro", CALIBRATED)
def test_no_figure_is_read_twice(macro):
    """Merged duplicates: one row per condition and model evaluation."""
    refs = load_references(REFERENCES / f"{macro}.csv")
    keys = [(r.quantity, r.components, r.overrides, r.workload, r.model_scale,
             r.distributions, r.relative_to) for r in refs]
    assert len(keys) == len(set(keys))


def _is_sum_of_fits(metric: str) -> bool:
    # rows whose model value is a sum / ratio of fitted rows, not fitted themselves
    return metric.startswith(("energy efficiency (tops_per_w)", "1b compute density"))


# -- the implemented macros against silicon ------------------------------------------------

@pytest.fixture(scope="module")
def report() -> Validation:
    return validate()


def test_every_reference_row_evaluates(report):
    # only rows on CiMLoop's profiled workloads (not shipped) may be skipped, and only
    # where ../shared is missing outside CI (require_shared fails under CI)
    assert all(s["reason"].startswith("workload file ../shared/") for s in report.skipped)
    if report.skipped:
        require_shared(CIMLOOP_WORKLOADS)
    assert len(report.rows) == len(load_references())
    assert all(r.model > 0 for r in report.rows)


GATED = ("energy_efficiency", "throughput", "energy_breakdown", "area_breakdown")

#: (macro, family) -> mean |error| on its prediction rows measured when each
#: xfail was written (update when a model improves; never by fitting a
#: constant to those rows, which would make them calibration rows)
MEASURED: dict[tuple[str, str], str] = {
    ("jia_jssc_2020", "energy_efficiency"): "6.4 %",
    ("wan_nature_2022", "energy_efficiency"): "7.7 %",
    ("wang_vlsi_2022", "energy_breakdown"): "15.1 %",
}


def _prediction_cases() -> list:
    refs = load_references()
    cases = sorted({(r.macro, r.family) for r in refs if r.family in GATED
                    and r.role == "prediction" and not r.derived_from})
    return [pytest.param(*c, marks=pytest.mark.xfail(
                strict=True, reason=f"measured {MEASURED[c]} > {BOUNDS[c[1]]:.0%}"))
            if c in MEASURED else c for c in cases]


@pytest.mark.parametrize(("macro", "family"), _prediction_cases())
def test_prediction_rows_within_bound(report, macro, family):
    """The issue's target: <= 5 % mean |error| per family on the prediction
    rows of every macro that has some."""
    stats = report.macros()[macro]["families"][family]
    assert stats["prediction"]["n"] > 0
    assert stats["within_bound"] is True, stats


#: calibration rows check the fit; a looser sanity bound catches a fit that
#: a model change has broken
CALIBRATION_SANITY = 0.10


@pytest.mark.parametrize("family", GATED)
def test_calibration_rows_still_fit(report, family):
    stats = report.families()[family]["calibration"]
    assert stats["n"] > 0
    assert stats["mean_abs_error"] <= CALIBRATION_SANITY, stats


def test_derived_rows_are_listed_apart(report):
    derived = report.derived()
    assert {(r.ref.macro, r.ref.family) for r in derived} >= {
        ("wan_nature_2022", "area_breakdown"), ("jia_jssc_2020", "area_breakdown")}
    wan = report.macros()["wan_nature_2022"]["families"]["area_breakdown"]
    assert wan["n_derived"] == 1 and wan["prediction"]["n"] == 0


def test_validate_command_json(capsys):
    assert main(["validate", "--macro", "sinangil_jssc_2021", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {r["macro"] for r in d["rows"]} == {"sinangil_jssc_2021"}
    assert d["families"]["throughput"]["bound"] == 0.05
    tops = next(r for r in d["rows"] if r["quantity"] == "tops")
    assert tops["reference"] == 0.3724 and abs(tops["error"]) < 0.01


def test_roles_are_marked_and_reported_apart():
    text = (CSV_HEADER_FITTED.rstrip("\n") + ",relative_to,derived_from\n"
            + 'toy,"Paper Fig. 3",b,adc energy,30.0,pJ,energy_breakdown,energy_pj,adc,,'
              'max_utilization,1,,calibration,,\n'
            + 'toy,"Paper Fig. 3",b,dac energy,50.0,pJ,energy_breakdown,energy_pj,dac,,'
              'max_utilization,1,,prediction,,\n'
            + 'toy,"Paper Fig. 3",b,cell energy,10.0,pJ,energy_breakdown,energy_pj,cell,,'
              'max_utilization,1,,prediction,,"Paper Table 2 (cell energy)"\n')
    refs = read_references(text)
    assert [r.role for r in refs] == ["calibration", "prediction", "prediction"]
    assert refs[2].derived_from == "Paper Table 2 (cell energy)"
    rows = [Row(refs[0], 33.0, 0.1), Row(refs[1], 48.0, -0.04), Row(refs[2], 10.0, 0.0)]
    v = Validation(rows)
    assert [r.group for r in rows] == ["calibration", "prediction", "derived"]
    fam = v.families()["energy_breakdown"]
    assert fam["prediction"]["n"] == 1 and fam["calibration"]["n"] == 1
    assert fam["n_derived"] == 1
    assert fam["prediction"]["mean_abs_error"] == pytest.approx(0.04)
    assert fam["calibration"]["mean_abs_error"] == pytest.approx(0.1)
    # the calibration row's 10 % does not fail the gate; the prediction row's 4 % passes
    assert fam["within_bound"] is True and not v.failures()
    text = v.summary()
    assert "+10.0%*" in text and "+0.0%~" in text
    assert "derived (circular) rows, in neither mean (1)" in text
    assert "Paper Table 2 (cell energy)" in text


CSV_HEADER_FITTED = ("macro,source_paper,condition,metric,reference_value,unit,family,quantity,"
                     "components,overrides,workload,model_scale,distributions,role\n")


def test_relative_to_divides_by_a_second_evaluation():
    text = (CSV_HEADER_FITTED.rstrip("\n") + ",relative_to\n"
            + 'toy,"Paper Fig. 3",b,max/min energy,2.0,x,energy_efficiency,energy_pj,,,'
              'max_utilization,1,mean=1.0,prediction,mean=0.0\n')
    ref = read_references(text)[0]
    assert ref.relative_to == "mean=0.0"
    energy = {"mean=1.0": 50.0, "mean=0.0": 20.0}

    def evaluator(r):
        e = energy[r.distributions]
        return {"breakdown": {"energy_pj": {"adc": e}, "area_um2": {"adc": 1.0}},
                "macs": 1, "latency_s": 1.0}, {}

    row = validate([ref], evaluator=evaluator).rows[0]
    assert row.model == pytest.approx(2.5)
    assert row.error == pytest.approx(0.25)
    with pytest.raises(ValidationError, match="unknown distributions"):
        Reference("m", "", "", "x", 1.0, "", "throughput", "tops", relative_to="nope")
