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


def _run_with_teardown_probe(*args: str, data_dir) -> subprocess.CompletedProcess:
    """`newsbot ARGS` as the installed program runs it, with an exit handler that reports the teardown."""
    code = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('TEARDOWN RAN\\n')); "
            f"sys.argv = ['newsbot', '--data-dir', {str(data_dir)!r}, *{list(args)!r}]; "
            "from bot.cli import run; run()")
    env = {**os.environ, "NEWSBOT_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=180)


def test_a_read_only_ask_ends_without_teardown_and_with_all_its_output(seed_engine, seed_settings):
    """Freeing chromadb and the model at exit is ~0.2 s of a one-off `ask` (benchmarks/startup.py):
    a run that only read skips it, its whole answer and sources still printed."""
    proc = _run_with_teardown_probe("ask", SEED_QUESTION, data_dir=seed_settings.data_dir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "88 more people have been released" in proc.stdout and "000_51027276e70fa455.txt" in proc.stdout
    assert "TEARDOWN RAN" not in proc.stderr
    js = _run_with_teardown_probe("ask", "--json", SEED_QUESTION, data_dir=seed_settings.data_dir)
    assert js.returncode == 0 and js.stdout.rstrip().endswith("}") and "TEARDOWN RAN" not in js.stderr


def test_an_ask_that_seeds_or_fails_exits_normally(tmp_path):
    """Only a successful run that changed nothing skips the teardown: seeding an empty index (a
    write) and a refused question end the ordinary way, and the seeded index is whole afterwards."""
    seeding = _run_with_teardown_probe("ask", SEED_QUESTION, data_dir=tmp_path / "fresh")
    assert seeding.returncode == 0, seeding.stderr[-2000:]
    assert "adding the seed articles" in seeding.stderr and "TEARDOWN RAN" in seeding.stderr
    again = _run_with_teardown_probe("ask", SEED_QUESTION, data_dir=tmp_path / "fresh")
    assert "88 more people have been released" in again.stdout and "adding the seed" not in again.stderr
    assert "TEARDOWN RAN" not in again.stderr
    refused = _run_with_teardown_probe("ask", "   ", data_dir=tmp_path / "fresh")
    assert refused.returncode == 1 and "error:" in refused.stderr and "TEARDOWN RAN" in refused.stderr
