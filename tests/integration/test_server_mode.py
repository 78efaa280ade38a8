"""Several processes sharing one real `chroma run` server, and `ingest --url` through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.helpers import DATASETS, REPO, run_newsbot
from tests.http_server import LocalServer

BBC = DATASETS / "bbc_news_2225"


def test_two_ingest_processes_share_one_chroma_server(chroma_server, tmp_path):
    host, port = chroma_server
    env = {"CHROMA_HOST": host, "CHROMA_PORT": str(port), "NEWSBOT_COLLECTION": "shared", "NEWSBOT_THREADS": "1"}
    folders = []
    for name, files in (("one", ("001.txt", "002.txt", "003.txt")), ("two", ("004.txt", "005.txt"))):
        folder = tmp_path / name
        folder.mkdir()
        for f in files:
            shutil.copy(BBC / "tech" / f, folder / f)
        folders.append(folder)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "ingest", str(folder)],
            cwd=REPO,
            env={**os.environ, **env, "NEWSBOT_DATA_DIR": str(tmp_path / f"local-{i}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, folder in enumerate(folders)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    # a third process (say, the bot) sees everything both wrote
    figures = json.loads(run_newsbot("stats", "--json", data_dir=tmp_path / "local-3", env=env).stdout)
    assert figures["articles"] == 5
    assert figures["size_bytes"] is None  # lives on the server, not in a local folder


def test_ingest_url_through_the_cli(tmp_path):
    with LocalServer() as server:
        server.file("/news/ferry.html", "ferry.html")
        data = tmp_path / "data"
        ok = run_newsbot("ingest", "--url", f"{server.base}/news/ferry.html", data_dir=data)
        assert ok.returncode == 0, ok.stderr
        assert "1 added" in ok.stdout
        missing = run_newsbot("ingest", "--url", f"{server.base}/news/gone.html", data_dir=data)
        assert missing.returncode == 1
        assert "404" in missing.stderr and "Traceback" not in missing.stderr
        figures = json.loads(run_newsbot("stats", "--json", data_dir=data).stdout)
        assert figures["articles"] == 1
