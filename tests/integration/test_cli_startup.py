"""`newsbot --help` and a command's `--help` start without the heavy libraries; a one-off extractive
`newsbot ask` without LangChain; the command list stays true.

No timing here (benchmarks/startup.py prints the figures): what is checked is which modules a
fresh interpreter imports, read from `python -X importtime`, which lists every module imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest

from tests.helpers import REPO, SEED_QUESTION

# Libraries that cost 0.1-1 s each to import and that no help text needs.
HEAVY = ("chromadb", "onnxruntime", "langchain_core", "langchain", "langsmith", "discord", "numpy", "scipy",
         "bm25s", "trafilatura", "feedparser", "aiohttp", "httpx", "pydantic", "tqdm", "matplotlib")


def _imported(*args: str) -> set[str]:
    env = {**os.environ, "NEWSBOT_DATA_DIR": "/nonexistent-newsbot-help-test"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage: newsbot" in proc.stdout
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


def test_help_imports_no_heavy_module_and_no_command_module():
    modules = _imported("--help")
    assert "bot.cli.group" in modules  # the guard reads real import lists
    assert not _heavy(modules)
    assert not {m for m in modules if m.startswith("bot.cli.") and m not in ("bot.cli.group", "bot.cli.shared")}


@pytest.mark.parametrize("command", ["ask", "chat", "ingest", "articles", "feeds", "discord", "eval"])
def test_command_help_imports_no_heavy_module(command):
    modules = _imported(command, "--help")
    assert not _heavy(modules)
    assert not {m for m in modules if m.startswith("bot.discord")}


def test_registered_short_helps_match_the_commands():
    from bot.cli import COMMANDS, main

    ctx = click.Context(main)
    for name, (_target, short_help) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert command.get_short_help_str(500) == click.Command(name, help=short_help).get_short_help_str(500), name
    assert sorted(main.list_commands(ctx)) == sorted(COMMANDS)


def test_unknown_command_is_one_clear_line():
    proc = subprocess.run([sys.executable, "-m", "bot", "akk", "x"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 2 and "No such command 'akk'" in proc.stderr


def test_engine_and_library_entry_points_import_no_heavy_module():
    """Front ends import these at start-up; the index, model and chain load on first use."""
    code = ("import sys, retrieval, retrieval.engine, retrieval.types, retrieval.text, retrieval.settings, "
            "retrieval.errors; print(' '.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    modules = set(proc.stdout.split())
    assert "retrieval.engine" in modules
    assert not _heavy(modules)


def test_extractive_ask_imports_no_langchain(seed_engine, seed_settings):
    """The default answer path runs the chain's steps without LangChain (~0.3-0.5 s of a one-off `ask`);
    only an LLM backend, or a caller asking for `AnswerPipeline.chain`, loads it."""
    env = {**os.environ, "NEWSBOT_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "--data-dir", str(seed_settings.data_dir), "ask", SEED_QUESTION],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "88 more people have been released" in proc.stdout and "[1]" in proc.stdout
    modules = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert {"retrieval.answering.chain", "chromadb", "onnxruntime"} <= modules  # the guard reads real import lists
    assert not {m for m in modules if m.split(".")[0] in ("langchain_core", "langchain", "langsmith")}
