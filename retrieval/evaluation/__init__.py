"""Retrieval evaluation: dataset loaders, gold placement, metrics, the naive baseline, runner and report."""
