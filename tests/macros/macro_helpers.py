"""Shared constants of the macro tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "configs" / "macros"
#: what a fair comparison holds equal: every macro names these the same way
SHARED = ("VOLTAGE", "TECHNOLOGY", "INPUT_BITS", "WEIGHT_BITS", "OUTPUT_BITS",
          "ADC_RESOLUTION", "ARRAY_ROWS", "ARRAY_COLS", "CELL", "INPUT_ENCODING",
          "WEIGHT_ENCODING", "N_INPUT_SLICES", "N_WEIGHT_SLICES", "INPUT_BITS_PER_SLICE",
          "WEIGHT_BITS_PER_SLICE")
