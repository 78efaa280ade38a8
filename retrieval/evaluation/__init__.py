"""Retrieval evaluation: dataset loaders, gold placement, metrics, the naive baseline, runner and report.

This package's entry is what `newsbot eval` uses. The runner and report (chromadb, matplotlib)
load on first use, so the CLI starts fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from retrieval.evaluation import datasets as _datasets
from retrieval.evaluation.questions import SUBSETS

DATASETS = (*_datasets.DATASETS, "dated")

_LAZY = {
    "evaluate": "retrieval.evaluation.runner",
    "parse_configs": "retrieval.evaluation.runner",
    "LEGEND": "retrieval.evaluation.report",
    "kind_tables": "retrieval.evaluation.report",
    "markdown_table": "retrieval.evaluation.report",
    "summary_lines": "retrieval.evaluation.report",
    "write_outputs": "retrieval.evaluation.report",
}

__all__ = ["DATASETS", "SUBSETS", "load_dataset", *_LAZY]


def load_dataset(kind: str, path: Path, distractors: Path | None = None, split: str = "test"):
    """Load a dataset of any kind in DATASETS ("dated": `retrieval/evaluation/dated.py`)."""
    if kind == "dated":
        from retrieval.evaluation.dated import load_dated

        return _datasets.load_dataset(kind, path, distractors, split, loader=load_dated)
    return _datasets.load_dataset(kind, path, distractors, split)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
