"""Retrieval evaluation: dataset loaders, gold placement, metrics, the naive baseline, runner and report.

This package's entry is what `newsbot eval` uses. The runner and report (chromadb, matplotlib)
load on first use, so the CLI starts fast.
"""

from __future__ import annotations

import importlib

from retrieval.evaluation.datasets import DATASETS, load_dataset

_LAZY = {
    "evaluate": "retrieval.evaluation.runner",
    "parse_configs": "retrieval.evaluation.runner",
    "LEGEND": "retrieval.evaluation.report",
    "markdown_table": "retrieval.evaluation.report",
    "summary_lines": "retrieval.evaluation.report",
    "write_outputs": "retrieval.evaluation.report",
}

__all__ = ["DATASETS", "load_dataset", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
