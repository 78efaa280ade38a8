"""`newsbot articles list|show` and `newsbot latest` on a small dated index (plus one undated local file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "dated"


@pytest.fixture(scope="module")
def dated_dir(tmp_path_factory):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    data = tmp_path_factory.mktemp("cli-browse")
    Engine.open(Settings(data_dir=data, threads=1)).ingest_paths([DATA])
    return data


def cli(data_dir, *args):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


def listed(data_dir, *args) -> dict:
    res = cli(data_dir, "articles", "list", "--json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_list_is_newest_first_with_undated_last(dated_dir):
    out = listed(dated_dir)
    titles = [a["title"] for a in out["articles"]]
    assert titles[0] == "Storm warning for the coast" and titles[-1] == "Museum reopens after repairs"
    assert out["total"] == 7 and out["filters"]["source"] is None


def test_list_by_source_and_window(dated_dir):
    out = listed(dated_dir, "--source", "harbour news", "--since", "2025-03-01", "--until", "2025-03-31")
    assert [a["title"] for a in out["articles"]] == ["Bridge opens to cyclists", "Ferry fares rise to four euros"]
    assert out["filters"]["source"] == "Harbour News"
    assert out["filters"]["since"] == "2025-03-01T00:00:00Z" and out["filters"]["until"] == "2025-03-31T23:59:59Z"
    out = listed(dated_dir, "--since", "2025-03-01")
    assert out["filters"]["undated_skipped"] == 1 and "1 undated article left out" in out["note"]


def test_list_by_words(dated_dir):
    out = listed(dated_dir, "--query", "bridge tolls")
    assert out["articles"][0]["title"] == "Treasury comments on tolls"


def test_list_human_output(dated_dir):
    res = cli(dated_dir, "articles", "list", "--source", "Coast Wire", "-n", "1")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "2025-03-19" in lines[0] and "Storm warning for the coast" in lines[0]
    assert lines[-1].startswith("1 of 2 articles") and "only: Coast Wire" in lines[-1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--source", "Harbor News"], "unknown source 'Harbor News'; closest known: \"Harbour News\""),
        (["--since", "soonish"], "--since 'soonish' is not understood; use a date (2025-03-01"),
        (["--since", "2025-03-10", "--until", "2025-03-01"], "--until 2025-03-01 (2025-03-01) is before --since 2025-03-10"),
    ],
)
def test_bad_filters_are_one_line(dated_dir, args, expected):
    res = cli(dated_dir, "articles", "list", *args)
    assert res.exit_code == 1
    assert res.output.count("\n") == 1 and expected in res.output


def test_show_gives_numbered_sentences_and_where_to_open(dated_dir):
    museum = next(a for a in listed(dated_dir)["articles"] if a["title"].startswith("Museum"))
    res = cli(dated_dir, "articles", "show", museum["id"])
    assert res.exit_code == 0, res.output
    assert "Museum reopens after repairs" in res.output and "date unknown" in res.output
    assert str(DATA / "museum-notes.txt") in res.output  # the local file, to open or delete
    assert "s0  The harbour museum reopened on Saturday after two years of repairs." in res.output
    shown = json.loads(cli(dated_dir, "articles", "show", museum["id"], "--json").output)
    assert shown["link"] == (DATA / "museum-notes.txt").as_uri() and shown["sentences"][1]["index"] == 1
    res = cli(dated_dir, "articles", "show", "a0000000000000000")
    assert res.exit_code == 1 and "no article with id 'a0000000000000000'" in res.output


def test_latest_shows_each_story_once_with_its_lead_cited(dated_dir):
    res = cli(dated_dir, "latest", "--json", "-n", "3")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    titles = [h["article"]["title"] for h in out["headlines"]]
    assert titles == ["Storm warning for the coast", "Bridge opens to cyclists", "Ferry fares rise to four euros"]
    fares = out["headlines"][2]
    assert len(fares["copies"]) == 1  # the wire copy of the same story
    assert fares["lead"]["quote"] == "The ferry fare rose to four euros on Monday, the operator said."
    assert fares["lead"]["n"] == 3 and fares["lead"]["sentence_index"] == 0
    res = cli(dated_dir, "latest", "--source", "Harbour News", "--since", "2025-03-18")
    assert res.exit_code == 0, res.output
    assert "[1] 2025-03-18  Bridge opens to cyclists — Harbour News" in res.output
    assert "“The new bridge opened to cyclists at dawn on Tuesday.”" in res.output
    assert "https://harbour.example/bridge#:~:text=" in res.output
    assert res.output.splitlines()[-1] == "1 newest story of 1 dated article · only: Harbour News, 2025-03-18 .. now"
    res = cli(dated_dir, "latest", "-n", "2")
    assert res.output.splitlines()[-1] == "2 newest stories of 6 dated articles · 1 undated article not listed"


def test_latest_on_an_undated_corpus_says_so(tmp_path):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    Engine.open(Settings(data_dir=tmp_path, threads=1)).ingest_paths([DATA / "museum-notes.txt"])
    res = cli(tmp_path, "latest")
    assert res.exit_code == 0
    assert "No article carries a publication date (1 undated), so there is no newest" in res.output
