"""Published CiM macros and their validation against silicon.

Macro specs live in ``configs/macros/*.yaml`` (one file per published chip,
with a ``# paper: ...`` header line and a ``description:`` key).
:func:`macros_dir` finds that directory from the current directory (or any
parent) and, failing that, in the installed package (:mod:`cimdse.shipped`),
so it works from a checkout, an editable install and an installed wheel.

Validation
----------
:func:`load_references` reads every ``*.csv`` of ``cimdse/data/references/``
(one file per macro, ``<macro>.csv``; the columns are described in that
directory's ``README.md``): one published figure per row (``macro``,
``source_paper``, ``condition``, ``metric``, ``reference_value``, ``unit``)
plus machine-readable columns that say how to reproduce it with the model:

* ``family``: metric family (``energy_efficiency``, ``throughput``,
  ``energy_breakdown``, ``area_breakdown``, ``compute_density``);
* ``quantity``: model metric (:data:`QUANTITIES`);
* ``components``: ``+``-joined component names the quantity is summed over
  (empty: the whole macro);
* ``overrides``: ``K=V;K=V`` spec overrides (values parsed as YAML, like
  ``--set``);
* ``workload``: workload name (``max_utilization``: one full-array MVM);
* ``model_scale``: factor from the model quantity to the reference's unit
  and scope (e.g. 48 cores for a chip throughput);
* ``distributions``: operand values of the evaluated layer (empty: the
  workload's defaults; ``uniform``: uniform 8-bit Inputs and Weights;
  ``cimloop_jia``: the histograms CiMLoop evaluates Macro A with;
  ``mean=M``: Inputs and Weights at zero or full scale with mean normalised
  value M, i.e. CiMLoop's AVERAGE_INPUT_VALUE = AVERAGE_WEIGHT_VALUE = M;
  :func:`distributions_for`);
* ``role``: ``calibration`` when a model constant was fitted to this row (by
  us or copied from CiMLoop's calibration; the row checks the fit, marked
  ``*``), ``prediction`` when nothing was fitted to it (:data:`ROLES`);
* ``relative_to``: distributions of a second evaluation the quantity is
  divided by (e.g. max/min energy over operand values); empty: none;
* ``derived_from``: the same paper's table or figure a model input was taken
  from, making the row circular (marked ``~``); empty: none.

:func:`validate` evaluates every row (each distinct macro + overrides +
workload once) and reports model vs reference with the signed relative
error ``(model - reference) / reference``; :class:`Validation` aggregates
the mean absolute error per macro, per family and overall, for prediction
and calibration rows apart, and checks each family's prediction rows against
:data:`BOUNDS`.
"""

from __future__ import annotations

from .errors import ValidationError
from .macros import MACROS_ENV, MacroInfo, list_macros, macro_info, macro_path, macros_dir
from .operands import DISTRIBUTIONS, distributions_for
from .quantities import model_quantity
from .references import (BOUNDS, FAMILIES, QUANTITIES, REFERENCES, REQUIRED_COLUMNS, ROLES,
                         Reference, load_references, parse_overrides, read_references)
from .report import Row, Validation, error_stats
from .run import Evaluator, check_macro_names, default_evaluator, validate

__all__ = ["BOUNDS", "DISTRIBUTIONS", "FAMILIES", "QUANTITIES", "REFERENCES", "ROLES", "MACROS_ENV", "MacroInfo", "Reference", "Row",
           "Validation", "ValidationError", "check_macro_names", "default_evaluator", "distributions_for",
           "Evaluator", "REQUIRED_COLUMNS", "error_stats", "list_macros",
           "load_references", "macro_info", "macro_path", "macros_dir", "model_quantity",
           "parse_overrides", "read_references", "validate"]
