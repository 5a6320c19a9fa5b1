"""Named experiments, runnable headless (`gradlab run NAME`) and from the notebooks.

Every module in this package registers its experiments when imported; importing the package
imports them all, so adding an experiment means adding a module here.
"""

import importlib
import pkgutil

from .claims import Claim, claims_table, experiment_record, shipped_results
from .registry import Experiment, Headline, get, names, register, run_and_save, select

__all__ = ["Claim", "Experiment", "Headline", "claims_table", "experiment_record", "get", "names",
           "register", "run_and_save", "select", "shipped_results"]

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("registry", "claims"):
        importlib.import_module(f"{__name__}.{_module.name}")
