"""Loaders: every input format, every bad input (one Skipped each, the rest still loaded), dates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from retrieval.errors import InputFileError
from retrieval.sources.files import MAX_TITLE_CHARS, SUPPORTED, article_from_html, iter_articles, parse_date
from retrieval.types import Article, Skipped
from tests.helpers import SEEDS

MB = 1024 * 1024

PAGE = """<!doctype html><html><head><title>Council passes budget | The Daily Bugle</title>
<link rel="canonical" href="https://bugle.example.com/news/budget">
<meta property="og:site_name" content="The Daily Bugle">
<meta property="og:title" content="Council passes budget">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-12-27T10:30:00+01:00">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport menu link</a></nav>
<article><h1>Council passes budget</h1>
<p>The city council approved the new budget on Friday after a debate that lasted into the night.</p>
<p>Critics said the plan would raise taxes for families, while supporters said it would fund schools and roads.</p>
<p>The mayor said the vote was "a good day for the city" and promised a review next year.</p>
</article>
<footer>Copyright 2024 The Daily Bugle. Subscribe to our newsletter today.</footer>
</body></html>"""


def load(*paths, max_bytes: int = 20 * MB) -> list[Article | Skipped]:
    return list(iter_articles([str(p) for p in paths], max_bytes=max_bytes))


def one(path, **kw) -> Article | Skipped:
    items = load(path, **kw)
    assert len(items) == 1, items
    return items[0]


def only_articles(items) -> list[Article]:
    return [i for i in items if isinstance(i, Article)]


def only_skipped(items) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


# -- plain text and Markdown --------------------------------------------------------------


def test_txt_headline_then_blank_line(tmp_path):
    f = tmp_path / "news" / "a.txt"
    f.parent.mkdir()
    f.write_text("Ad sales boost profit\n\nProfits jumped 76%. Sales rose.\n\nSecond paragraph here.\n", encoding="utf-8")
    a = one(f)
    assert a.title == "Ad sales boost profit" and not a.title_is_derived
    assert a.text == "Profits jumped 76%. Sales rose.\n\nSecond paragraph here."
    assert a.key == str(f) and a.source == "news" and a.url == "" and a.published_at == ""


def test_txt_without_headline_derives_title_from_first_sentence(tmp_path):
    body = (
        "The Venezuelan government has announced the release of 88 individuals detained for protesting "
        "against the result. More were freed later.\nA second paragraph."
    )
    f = tmp_path / "b.txt"
    f.write_text(body, encoding="utf-8")
    a = one(f)
    assert a.title_is_derived
    assert a.text == body
    assert a.title.endswith("…") and len(a.title) <= MAX_TITLE_CHARS + 1
    assert body.startswith(a.title[:-1]) and not a.title[:-1].endswith(" ")
    short = tmp_path / "c.txt"
    short.write_text("Short first sentence. Then more text follows here.", encoding="utf-8")
    assert one(short).title == "Short first sentence."


def test_paragraph_followed_by_blank_line_is_not_a_headline(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("This is a whole first paragraph that ends with a stop.\n\nAnd a second one.", encoding="utf-8")
    a = one(f)
    assert a.title_is_derived and a.text.startswith("This is a whole first paragraph")


def test_markdown_heading(tmp_path):
    (tmp_path / "a.md").write_text("# Storm hits coast\n\nWinds reached 100mph. Homes lost power.", encoding="utf-8")
    (tmp_path / "b.md").write_text("## Rates on hold\nThe bank kept rates at 5%.", encoding="utf-8")
    a, b = load(tmp_path)
    assert (a.title, a.text) == ("Storm hits coast", "Winds reached 100mph. Homes lost power.")
    assert (b.title, b.text) == ("Rates on hold", "The bank kept rates at 5%.")


def test_markdown_front_matter(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: \"Rates: on hold\"\ndate: 2024-12-27\nurl: https://ex.com/rates\nauthor: Ann Lee\nid: r-1\n---\n\n"
        "# Ignored heading\n\nThe bank kept rates at 5%.",
        encoding="utf-8",
    )
    (tmp_path / "b.md").write_text("---\nauthor: Bob\n---\n# From the heading\n\nBody here.", encoding="utf-8")
    (tmp_path / "c.md").write_text("---\nJust a rule, then text.\n---\nMore text.", encoding="utf-8")
    a, b, c = load(tmp_path)
    assert (a.title, a.text, a.url, a.author, a.external_id) == ("Rates: on hold", "The bank kept rates at 5%.", "https://ex.com/rates", "Ann Lee", "r-1")
    assert a.published_at == "2024-12-27T00:00:00Z" and a.key == str(tmp_path / "a.md") and a.source == tmp_path.name
    assert (b.title, b.text, b.author) == ("From the heading", "Body here.", "Bob")
    assert c.text.startswith("---\nJust a rule") and c.title_is_derived and c.title == "Just a rule, then text."


def test_newlines_bom_and_nfc_are_normalised(tmp_path):
    f = tmp_path / "w.txt"
    f.write_bytes("\ufeffCafe\u0301 opens\r\n\r\nThe cafe\u0301 opened.\r\nIt was busy.\r\n".encode("utf-8"))
    a = one(f)
    assert a.title == "Café opens"
    assert a.text == "The café opened.\nIt was busy."


def test_latin1_file_is_decoded(tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Le café rouvre\n\nLe café a rouvert ses portes lundi à Paris.".encode("latin-1"))
    a = one(f)
    assert a.title == "Le café rouvre"
    assert a.text == "Le café a rouvert ses portes lundi à Paris."
    tiny = tmp_path / "tiny.txt"
    tiny.write_bytes("café".encode("latin-1"))
    assert one(tiny).text == "café"


def test_utf16_with_bom_is_decoded(tmp_path):
    f = tmp_path / "u16.txt"
    f.write_bytes("Headline\n\nBody text here.".encode("utf-16"))
    a = one(f)
    assert (a.title, a.text) == ("Headline", "Body text here.")


def test_seed_article_loads(tmp_path):
    (a,) = load(SEEDS)
    assert a.source == "seeds" and a.title_is_derived
    assert a.title.startswith("The Venezuelan government has announced the release of 88")
    assert "88 more people have been released" in a.text


# -- JSON and JSONL -----------------------------------------------------------------------


def test_json_object_with_field_aliases(tmp_path):
    f = tmp_path / "one.json"
    record = {
        "headline": "Rates held",
        "body": ["The bank held rates.", "Markets rose."],
        "link": "https://ex.com/r",
        "source": {"id": "x", "name": "Example News"},
        "date": "Fri, 27 Dec 2024 10:00:00 -0500",
        "author": ["Ann", "Bob"],
        "id": 42,
    }
    f.write_text(json.dumps(record), encoding="utf-8")
    a = one(f)
    assert a.title == "Rates held" and a.text == "The bank held rates.\nMarkets rose."
    assert a.url == "https://ex.com/r" and a.source == "Example News" and a.author == "Ann, Bob"
    assert a.published_at == "2024-12-27T15:00:00Z"
    assert a.external_id == "42" and a.key == str(f)


def test_json_list_keys_and_skipped_records(tmp_path):
    f = tmp_path / "feed" / "many.json"
    f.parent.mkdir()
    records = [
        {"title": "A", "text": "First story.", "id": "x1", "published_at": "2024-12-27"},
        {"title": "B", "content": "Second story."},
        {"title": "No text here"},
        "not an object",
    ]
    f.write_text(json.dumps(records), encoding="utf-8")
    items = load(f)
    a, b = only_articles(items)
    assert (a.key, a.external_id, a.published_at, a.source) == (f"{f}#x1", "x1", "2024-12-27T00:00:00Z", "feed")
    assert (b.key, b.text) == (f"{f}#2", "Second story.")
    no_text, not_obj = only_skipped(items)
    assert no_text.key == f"{f}:3" and "no text" in no_text.reason and "record 3" in no_text.reason
    assert not_obj.key == f"{f}:4" and "JSON object" in not_obj.reason


def test_json_news_api_response(tmp_path):
    f = tmp_path / "api.json"
    f.write_text(json.dumps({"status": "ok", "articles": [{"title": "T", "content": "Story text.", "publishedAt": "2024-12-27T08:00:00Z"}]}))
    (a,) = load(f)
    assert (a.title, a.text, a.published_at, a.key) == ("T", "Story text.", "2024-12-27T08:00:00Z", f"{f}#1")


def test_jsonl_malformed_line_and_missing_text(tmp_path):
    f = tmp_path / "recs.jsonl"
    lines = [
        json.dumps({"title": "Good one", "text": "Valid record here. It has text.", "url": "https://ex.com/1"}),
        "{not json",
        "",
        json.dumps({"title": "Empty", "text": "   "}),
        json.dumps({"text": "No title here but a story. More.", "id": "z9", "published": 1735293600}),
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = load(f)
    assert [type(i).__name__ for i in items] == ["Article", "Skipped", "Skipped", "Article"]
    good, bad, empty, untitled = items
    assert good.key == f"{f}#1" and good.url == "https://ex.com/1"
    assert bad.key == f"{f}:2" and bad.reason.startswith("line 2: malformed JSON") and "fix or remove" in bad.reason
    assert empty.key == f"{f}:4" and "no text" in empty.reason
    assert untitled.key == f"{f}#z9" and untitled.title_is_derived and untitled.title == "No title here but a story."
    assert untitled.published_at == "2024-12-27T10:00:00Z"


def test_malformed_json_file_reports_line(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('[\n  {"title": "A", "text": "x"},\n  {oops}\n]', encoding="utf-8")
    (s,) = load(f)
    assert isinstance(s, Skipped) and s.key == str(f)
    assert "line 3" in s.reason and "fix the file" in s.reason
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42", encoding="utf-8")
    assert "list of article objects" in one(scalar).reason


# -- HTML ---------------------------------------------------------------------------------


def test_html_main_text_and_metadata(tmp_path):
    a = article_from_html(PAGE.encode("utf-8"), key="k")
    assert a.title == "Council passes budget"
    assert a.text.startswith("The city council approved the new budget")
    assert "a good day for the city" in a.text
    for boilerplate in ("Sport menu link", "Subscribe to our newsletter", "Council passes budget"):
        assert boilerplate not in a.text
    assert a.url == "https://bugle.example.com/news/budget"
    assert a.source == "The Daily Bugle" and a.author == "Jane Doe"
    assert a.published_at.startswith("2024-12-27") and a.key == "k"


def test_html_file_in_folder(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "empty.htm").write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    empty, page = load(tmp_path)
    assert isinstance(page, Article) and page.key == str(tmp_path / "page.html") and page.source == "The Daily Bugle"
    assert isinstance(empty, Skipped) and "no article text" in empty.reason


def test_html_without_main_text_raises():
    with pytest.raises(InputFileError, match="no article text"):
        article_from_html("<html><body><nav>Home | World</nav></body></html>", url="https://ex.com/x")


# -- bad inputs: one Skipped each, the rest still loaded ----------------------------------


def test_bad_files_are_skipped_with_what_to_do(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text("Good headline\n\nGood text here.", encoding="utf-8")
    (d / "empty.txt").write_text("")
    (d / "blank.md").write_text(" \n\t\n")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (d / "noisy.txt").write_bytes(bytes(range(1, 32)) * 40)
    (d / "notes.xyz").write_text("what is this")
    (d / "Makefile").write_text("all:")
    (d / "big.txt").write_text("Big\n\n" + "word " * 300_000)
    items = load(d, tmp_path / "missing", max_bytes=1 * MB)
    assert [a.title for a in only_articles(items)] == ["Good headline"]
    reasons = {Path(s.key).name: s.reason for s in only_skipped(items)}
    assert set(reasons) == {"empty.txt", "blank.md", "binary.txt", "noisy.txt", "notes.xyz", "Makefile", "big.txt", "missing"}
    assert reasons["empty.txt"].startswith("empty file")
    assert reasons["blank.md"].startswith("empty file")
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["noisy.txt"].startswith("binary file")
    assert "'.xyz'" in reasons["notes.xyz"] and all(ext in reasons["notes.xyz"] for ext in SUPPORTED)
    assert "no extension" in reasons["Makefile"]
    assert reasons["big.txt"].startswith("larger than 1 MB") and "NEWSBOT_MAX_FILE_MB" in reasons["big.txt"]
    assert "no such file or folder" in reasons["missing"]
    assert all("\n" not in r and ";" in r for r in reasons.values())  # one line, with what to do


def test_dangling_link_is_skipped(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    (tmp_path / "ok.txt").write_text("Fine\n\nStill loaded.", encoding="utf-8")
    gone, ok = load(tmp_path)
    assert gone.reason.startswith("cannot read the file (No such file") and ok.text == "Still loaded."


def test_fifo_is_skipped_not_read(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "not a regular file" in one(tmp_path).reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_skipped(tmp_path):
    f = tmp_path / "locked.txt"
    f.write_text("Title\n\nText.")
    f.chmod(0)
    try:
        assert "cannot read the file" in one(f).reason
    finally:
        f.chmod(0o644)


def test_folders_recursive_sorted_hidden_skipped(tmp_path):
    for rel in ["b/2.txt", "b/1.txt", "a.txt", "c/d/3.md", ".git/x.txt", "b/.hidden.txt", "README.md"]:
        p = tmp_path / "corpus" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"Title {rel}\n\nText of {rel}.", encoding="utf-8")
    items = load(tmp_path / "corpus")
    root = tmp_path / "corpus"
    assert [a.key for a in only_articles(items)] == [str(root / r) for r in ["a.txt", "b/1.txt", "b/2.txt", "c/d/3.md"]]
    assert {a.source for a in only_articles(items)} == {"corpus"}
    (readme,) = only_skipped(items)
    assert readme.key == str(root / "README.md") and "not an article" in readme.reason
    assert load(tmp_path / "corpus") == items  # deterministic
    # A README passed by name is read like any file; a single file's source is its folder.
    assert one(root / "README.md").source == "corpus"


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-12-27", "2024-12-27T00:00:00Z"),
        ("2024-12-27T10:30:00Z", "2024-12-27T10:30:00Z"),
        ("2024-12-27T10:30:00+02:00", "2024-12-27T08:30:00Z"),
        ("2024-12-27 10:30:00", "2024-12-27T10:30:00Z"),
        ("Fri, 27 Dec 2024 10:30:00 GMT", "2024-12-27T10:30:00Z"),
        ("Fri, 27 Dec 2024 10:30:00 EST", "2024-12-27T15:30:00Z"),
        ("27 December 2024", "2024-12-27T00:00:00Z"),
        ("December 27, 2024 3:45 PM", "2024-12-27T15:45:00Z"),
        ("Dec 27 2024 10:00 PST", "2024-12-27T18:00:00Z"),
        (1735295400, "2024-12-27T10:30:00Z"),
        (1735295400000, "2024-12-27T10:30:00Z"),
        ("1735295400", "2024-12-27T10:30:00Z"),
        (1735295400.5, "2024-12-27T10:30:00Z"),
        ("", ""),
        (None, ""),
        ("yesterday", ""),
        ("5", ""),
        ("not a date at all", ""),
        (True, ""),
        ("9999999999999999999", ""),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected
