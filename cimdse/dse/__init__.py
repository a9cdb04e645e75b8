"""Design-space exploration: sweep files, the Optuna + Ray runner, the
Parquet results store and Pareto analysis.

Public API::

    load_sweep(path) -> Sweep               # validated sweep file (SpecError on problems)
    run_sweep(sweep_or_path, out_dir=None, *, trials, address, resume, executor,
              evaluate_point, num_cpus, progress) -> SweepSummary
    read_results(dir, columns=None, *, layers=False, macros=False) -> pandas.DataFrame
                                            # one row per design (layers=True: design x layer,
                                            # macros=True: design x macro of a placed pipeline)
    read_layers(dir) -> pandas.DataFrame    # = read_results(dir, layers=True)
    read_macros(dir) -> pandas.DataFrame    # = read_results(dir, macros=True)
    pareto_front(df, objectives), is_nondominated, nondominated_sort,
    hypervolume, plot_pareto
"""

from .errors import SweepError
from .pareto import (hypervolume, is_nondominated, nondominated_sort, pareto_front,
                     plot_pareto)
from .parser import load_sweep
from .report import SweepSummary
from .runner import Runner, run_sweep
from .schema import Sweep
from .store import ResultStore, read_layers, read_macros, read_results

__all__ = ["Runner", "ResultStore", "Sweep", "SweepError", "SweepSummary", "hypervolume",
           "is_nondominated", "load_sweep", "nondominated_sort", "pareto_front", "plot_pareto",
           "read_layers", "read_macros", "read_results", "run_sweep"]
