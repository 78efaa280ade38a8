"""Evaluation datasets: public QA sets and the project's own JSONL, loaded as a corpus plus questions with gold.

Every loader returns an `EvalDataset`: the corpus as `Article`s (None when the questions are asked
of an index the user already has) and `EvalQuestion`s whose gold is a list of `Evidence` (an
article reference plus a text). Gold is matched against our own stored sentences *by text* later
(`retrieval/evaluation/gold.py`), so a dataset's sentence split never has to agree with ours.

Formats (see the README "Quality" section):
- hotpotqa: a JSON list of `{_id, question, answer, supporting_facts: [[title, i]], context:
  [[title, [sentences]]]}` and, optionally in the same folder, a corpus `{title: [sentences]}`
  (used when present, else the union of the questions' `context` paragraphs).
- multihop: MultiHop-RAG `queries.json` + `ground_truth.json` (`evidence_list[].fact`); the full
  article bodies are not public, so the corpus is `derived_facts_by_article.json`: one article per
  source URL whose text is its evidence sentences. Add distractors (`--distractors`, e.g. the BBC
  set) to make retrieval non-trivial. Null queries ("Insufficient information.") are unanswerable.
- squad: SQuAD 2.0 `queries.json` (`{id, context, question}`) + `ground_truth.json` (`{id:
  {answers, is_impossible}}`); one article per distinct passage; the gold sentence is the one
  containing an answer text; `is_impossible` items are unanswerable.
- beir: `corpus.jsonl` (`_id, title, text`), `queries.jsonl` (`_id, text`), `qrels/<split>.tsv`;
  gold is a whole document (a sentence of it counts).
- dated: MultiHop-RAG again, only questions with a date window (its temporal queries, plus
  rewrites with "In October 2023, ..." and "... last week?"), each with its own clock; see
  `retrieval/evaluation/dated.py`.
- jsonl: the project's own format, one JSON object a line: `{"id", "question", "history": [[q,
  a], ...], "answer", "evidence": [{"doc", "text"}], "kind"?, "needs_context"?}` where `doc` is
  an article id, its path (absolute, or relative to a `--corpus` folder) or file name, its URL or
  its exact title, and `text` the sentence (or passage) that answers; no `evidence` = the
  question is unanswerable from the corpus. `kind` (e.g. single, followup, unanswerable) and
  `needs_context` (true when the answering sentence does not name the question's subject) are
  optional and only group the report. A record with a non-empty `"review"` (what `newsbot
  feedback export` writes for 👎 answers) is skipped: it has no gold yet.

The records (`EvalQuestion`, `EvalDataset`, the even/odd tuning split) are in `questions.py`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from retrieval.errors import InputFileError
from retrieval.evaluation.questions import EvalDataset, EvalQuestion, Evidence
from retrieval.types import Article

DATASETS = ("hotpotqa", "multihop", "squad", "beir", "jsonl")


def load_dataset(
    kind: str, path: Path, distractors: Path | None = None, split: str = "test", *, loader=None
) -> EvalDataset:
    """Load `path` in the format `kind` (one of DATASETS); `distractors` adds articles to the corpus.

    `loader` reads a format defined in a module built on this one (the dated set).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path} does not exist; pass --path to a {kind} dataset file or folder")
    loaders = {
        "hotpotqa": load_hotpotqa,
        "multihop": load_multihop,
        "squad": load_squad,
        "beir": lambda p: load_beir(p, split),
        "jsonl": load_jsonl,
    }
    if loader is None and kind not in loaders:
        raise InputFileError(f"unknown dataset kind {kind!r}; use one of: {', '.join(DATASETS)}")
    ds = loader(path) if loader is not None else loaders[kind](path)
    if not ds.questions:
        raise InputFileError(f"{path} has no questions; check that it is a {kind} dataset and not empty")
    if distractors is None and kind in ("multihop", "dated"):
        ds.notes.append("add --distractors (e.g. the BBC set) for a realistic haystack")
    if distractors is not None:
        if ds.corpus is None:
            raise InputFileError("--distractors needs a dataset with its own corpus (not jsonl on your own index)")
        extra = load_text_folder(distractors)
        ds.corpus = _dedupe(ds.corpus + extra)
        ds.notes.append(f"{len(extra)} distractor articles from {distractors}")
    return ds


# -- readers ---------------------------------------------------------------------------------


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not UTF-8 text; {what} files are JSON") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path} is not valid JSON (line {exc.lineno}); expected {what}") from None


def _read_jsonl(path: Path, what: str) -> list[dict]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not UTF-8 text; expected {what} as JSON lines") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise InputFileError(f"{path}:{n} is not a JSON object; expected {what}, one JSON object a line") from None
        if not isinstance(row, dict):
            raise InputFileError(f"{path}:{n} is not a JSON object; expected {what}, one JSON object a line")
        rows.append(row)
    return rows


def _dedupe(articles: Iterable[Article]) -> list[Article]:
    """Drop articles with the same content id (the index would store them once anyway)."""
    seen: dict[str, Article] = {}
    for a in articles:
        seen.setdefault(a.id, a)
    return list(seen.values())


def load_text_folder(folder: Path) -> list[Article]:
    """Articles from `.txt` files in the BBC layout: first line the headline, a blank line, the body."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder} is not a folder; --distractors takes a folder of .txt articles")
    out = []
    for p in sorted(folder.rglob("*.txt")):
        if p.name.upper() == "README.TXT":
            continue
        raw = p.read_text(encoding="utf-8", errors="replace").strip()
        title, _, body = raw.partition("\n")
        if title.strip() and body.strip():
            out.append(Article(title=title.strip(), text=body.strip(), source=folder.name, key=str(p.resolve())))
    if not out:
        raise InputFileError(f"{folder} has no .txt articles (headline on line 1, then the body)")
    return out


# -- HotpotQA ------------------------------------------------------------------------------


def load_hotpotqa(path: Path) -> EvalDataset:
    """HotpotQA questions (+ corpus file beside them when there is one)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    questions_raw, corpus_raw = None, None
    for f in files:
        data = _read_json(f, "HotpotQA")
        if isinstance(data, list) and data and isinstance(data[0], dict) and "supporting_facts" in data[0]:
            questions_raw = data
        elif isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
            corpus_raw = data
        elif isinstance(data, list) and not data:
            questions_raw = questions_raw or data
    if questions_raw is None:
        raise InputFileError(
            f"{path} has no HotpotQA questions (a JSON list of objects with question, supporting_facts, context)"
        )
    notes = []
    if corpus_raw is None:
        corpus_raw = {}
        for q in questions_raw:
            for title, sents in q.get("context", []):
                corpus_raw.setdefault(title, sents)
        notes.append("corpus = the questions' context paragraphs (no corpus file found)")
    articles: dict[str, Article] = {}
    for title, sents in corpus_raw.items():
        text = "".join(sents).strip()
        if text:
            articles[title] = Article(
                title=title, text=text, source="Wikipedia", key=f"hotpotqa:{title}", external_id=title
            )
    questions = []
    for n, q in enumerate(questions_raw):
        if not isinstance(q, dict) or not isinstance(q.get("question"), str):
            raise InputFileError(f"{path}: question #{n} has no 'question' text; is this a HotpotQA file?")
        evidence, missing = [], []
        for fact in q.get("supporting_facts", []):
            title, i = fact[0], fact[1]
            sents = corpus_raw.get(title)
            if title not in articles or sents is None or not 0 <= i < len(sents) or not sents[i].strip():
                missing.append(f"supporting fact [{title!r}, {i}] is not in the corpus")
                continue
            evidence.append(Evidence(doc=articles[title].id, text=sents[i].strip()))
        related = tuple(articles[c[0]].id for c in q.get("context", []) if c and c[0] in articles)
        questions.append(
            EvalQuestion(
                id=str(q.get("_id", n)),
                question=q["question"],
                evidence=tuple(evidence),
                answer=str(q.get("answer", "")),
                kind=str(q.get("type", "")),
                missing=tuple(missing),
                related=related,
            )
        )
    return EvalDataset("hotpotqa", questions, list(articles.values()), notes)


# -- MultiHop-RAG --------------------------------------------------------------------------


def load_multihop(path: Path) -> EvalDataset:
    """MultiHop-RAG queries + ground truth; corpus = derived_facts_by_article.json (see module doc)."""
    folder = path if path.is_dir() else path.parent
    need = ["queries.json", "ground_truth.json", "derived_facts_by_article.json"]
    absent = [n for n in need if not (folder / n).is_file()]
    if absent:
        raise InputFileError(f"{folder} is not a MultiHop-RAG folder: missing {', '.join(absent)}")
    queries = _read_json(folder / "queries.json", "MultiHop-RAG queries")
    truth = _read_json(folder / "ground_truth.json", "MultiHop-RAG ground truth")
    facts = _read_json(folder / "derived_facts_by_article.json", "MultiHop-RAG facts by article")
    qlist = queries.get("queries") if isinstance(queries, dict) else queries
    if not isinstance(qlist, list) or not isinstance(truth, dict) or not isinstance(facts, list):
        raise InputFileError(f"{folder} does not look like MultiHop-RAG (queries list, ground_truth by id, facts list)")
    articles: dict[str, Article] = {}
    for a in facts:
        # Blank lines between facts: each fact stays a separate paragraph for the sentence splitter.
        text = "\n\n".join(f.strip() for f in a.get("facts", []) if f.strip())
        if text and a.get("url"):
            articles[a["url"]] = Article(
                title=a.get("title", "").strip() or a["url"],
                text=text,
                source=a.get("source", ""),
                url=a["url"],
                published_at=a.get("published_at", ""),
                author=a.get("author", "") or "",
                key=a["url"],
            )
    questions = []
    for q in qlist:
        if not isinstance(q, dict) or "question" not in q:
            raise InputFileError(f"{folder / 'queries.json'}: a query has no 'question'; is this MultiHop-RAG?")
        qid = str(q.get("id"))
        gt = truth.get(qid, {})
        evidence, missing = [], []
        for e in gt.get("evidence_list", []):
            art = articles.get(e.get("url", ""))
            if art is None or e.get("fact", "").strip() not in art.text:
                missing.append(f"fact from {e.get('url', '?')} is not in the corpus")
                continue
            evidence.append(Evidence(doc=art.id, text=e["fact"].strip()))
        answerable = bool(gt.get("evidence_list")) and q.get("question_type") != "null_query"
        questions.append(
            EvalQuestion(
                id=qid,
                question=q["question"],
                evidence=tuple(evidence),
                answerable=answerable,
                answer=str(gt.get("answer", "")),
                kind=str(q.get("question_type", "")),
                missing=tuple(missing),
            )
        )
    notes = [f"corpus = {len(articles)} articles made of the evidence sentences (full bodies not public)"]
    return EvalDataset("multihop", questions, list(articles.values()), notes)


# -- SQuAD 2.0 -----------------------------------------------------------------------------


def load_squad(path: Path) -> EvalDataset:
    """SQuAD 2.0 (queries.json + ground_truth.json); one article per distinct passage."""
    folder = path if path.is_dir() else path.parent
    absent = [n for n in ("queries.json", "ground_truth.json") if not (folder / n).is_file()]
    if absent:
        raise InputFileError(f"{folder} is not a SQuAD folder: missing {', '.join(absent)}")
    queries = _read_json(folder / "queries.json", "SQuAD queries")
    truth = _read_json(folder / "ground_truth.json", "SQuAD ground truth")
    qlist = queries.get("queries") if isinstance(queries, dict) else queries
    if not isinstance(qlist, list) or not isinstance(truth, dict):
        raise InputFileError(f"{folder} does not look like SQuAD (queries list with context, ground_truth by id)")
    articles: dict[str, Article] = {}
    questions = []
    for q in qlist:
        if not isinstance(q, dict) or "question" not in q or "context" not in q:
            raise InputFileError(f"{folder / 'queries.json'}: a query lacks 'question' or 'context'; is this SQuAD?")
        ctx = q["context"].strip()
        if ctx not in articles:
            # Passages have no title here; the index derives one from the text like any untitled input.
            articles[ctx] = Article(
                title=_derived_title(ctx),
                text=ctx,
                source="SQuAD",
                key=f"squad:{len(articles)}",
                title_is_derived=True,
            )
        art = articles[ctx]
        gt = truth.get(str(q.get("id")), {})
        answers = tuple(dict.fromkeys(a.strip() for a in gt.get("answers", []) if a and a.strip()))
        impossible = bool(gt.get("is_impossible")) or not answers
        evidence, missing = (), ()
        if not impossible:
            found = tuple(a for a in answers if a in ctx)
            if found:
                evidence = (Evidence(doc=art.id, text=found[0], kind="answer", alternatives=found[1:]),)
            else:
                missing = (f"answer {answers[0]!r} is not in its passage",)
        questions.append(
            EvalQuestion(
                id=str(q.get("id")),
                question=q["question"],
                evidence=evidence,
                answerable=not impossible,
                answer=answers[0] if answers else "",
                kind="unanswerable" if impossible else "answerable",
                missing=missing,
                related=(art.id,),
            )
        )
    return EvalDataset("squad", questions, list(articles.values()))


def _derived_title(text: str, words: int = 8) -> str:
    head = text.split()[:words]
    return " ".join(head) + ("…" if len(text.split()) > words else "")


# -- BEIR ----------------------------------------------------------------------------------


def load_beir(path: Path, split: str = "test") -> EvalDataset:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (document-level gold)."""
    folder = path if path.is_dir() else path.parent
    qrels_dir = folder / "qrels"
    qrels_file = qrels_dir / f"{split}.tsv"
    if not qrels_file.is_file() and qrels_dir.is_dir():
        found = sorted(qrels_dir.glob("*.tsv"))
        qrels_file = found[0] if found else qrels_file
    absent = [
        str(p.relative_to(folder))
        for p in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_file)
        if not p.is_file()
    ]
    if absent:
        raise InputFileError(f"{folder} is not a BEIR folder: missing {', '.join(absent)}")
    articles: dict[str, Article] = {}
    for n, row in enumerate(_read_jsonl(folder / "corpus.jsonl", "BEIR corpus records {_id, title, text}")):
        if "_id" not in row or "text" not in row:
            raise InputFileError(f"{folder / 'corpus.jsonl'} record {n + 1} lacks _id or text; is this BEIR?")
        text = str(row["text"]).strip()
        if text:
            title = str(row.get("title") or "").strip()
            articles[str(row["_id"])] = Article(
                title=title or _derived_title(text),
                text=text,
                key=f"beir:{row['_id']}",
                external_id=str(row["_id"]),
                title_is_derived=not title,
            )
    qtext = {}
    for row in _read_jsonl(folder / "queries.jsonl", "BEIR queries {_id, text}"):
        if "_id" in row and "text" in row:
            qtext[str(row["_id"])] = str(row["text"])
    gold: dict[str, dict[str, int]] = {}
    with qrels_file.open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.reader(fh, delimiter="\t")):
            if len(rec) < 3 or (n == 0 and not rec[2].strip().lstrip("-").isdigit()):
                continue  # header or blank line
            gold.setdefault(rec[0], {})[rec[1]] = int(rec[2])
    questions = []
    for qid, docs in gold.items():
        if qid not in qtext:
            continue
        evidence, missing = [], []
        for doc_id, grade in docs.items():
            if grade <= 0:
                continue
            if doc_id in articles:
                evidence.append(Evidence(doc=articles[doc_id].id, kind="article", grade=grade))
            else:
                missing.append(f"document {doc_id} is not in the corpus")
        questions.append(EvalQuestion(id=qid, question=qtext[qid], evidence=tuple(evidence), missing=tuple(missing)))
    return EvalDataset("beir", questions, list(articles.values()), [f"qrels: {qrels_file.name}"])


# -- the project's JSONL -------------------------------------------------------------------


def load_jsonl(path: Path) -> EvalDataset:
    """The project's question file; asked of the user's own index (or an isolated one from --corpus)."""
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; --dataset jsonl takes a .jsonl file of questions")
    rows = _read_jsonl(path, 'questions {"id", "question", "history", "answer", "evidence": [{"doc", "text"}]}')
    questions = []
    seen: set[str] = set()
    review = 0
    for n, row in enumerate(rows, 1):
        if row.get("review"):  # flagged by `newsbot feedback export`: a person has to find the gold first
            review += 1
            continue
        q = row.get("question")
        if not isinstance(q, str) or not q.strip():
            raise InputFileError(f'{path}: question {n} has no "question" text')
        qid = str(row.get("id", n))
        if qid in seen:
            raise InputFileError(f"{path}: question {n} repeats the id {qid!r}; give every question its own id")
        seen.add(qid)
        evidence = []
        for e in row.get("evidence") or []:
            if not isinstance(e, dict) or not str(e.get("doc", "")).strip():
                raise InputFileError(
                    f'{path}: question {n} has evidence without a "doc" (article id, path, URL or title)'
                )
            evidence.append(
                Evidence(
                    doc=str(e["doc"]).strip(),
                    text=str(e.get("text") or "").strip(),
                    kind="passage" if str(e.get("text") or "").strip() else "article",
                )
            )
        history = tuple(
            (str(h[0]), str(h[1])) for h in row.get("history") or [] if isinstance(h, list | tuple) and len(h) == 2
        )
        needs_context = row.get("needs_context")
        questions.append(
            EvalQuestion(
                id=qid,
                question=q.strip(),
                evidence=tuple(evidence),
                answerable=bool(evidence),
                answer=str(row.get("answer") or ""),
                history=history,
                kind=str(row.get("kind") or "").strip(),
                needs_context=needs_context if isinstance(needs_context, bool) else None,
            )
        )
    notes = [f"{review} record(s) flagged for review skipped (no gold yet)"] if review else []
    if review and not questions:
        raise InputFileError(f"{path}: every record is flagged for review; add gold evidence to some and drop their \"review\"")
    return EvalDataset("jsonl", questions, None, notes)
