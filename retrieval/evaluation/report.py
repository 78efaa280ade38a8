"""Render an `EvalReport`: one table row per configuration (Markdown), every figure (JSON), a bar chart (PNG)."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.errors import InputFileError
from retrieval.evaluation.runner import ConfigResult, EvalReport

# (header, where, key, kind): kind "pct" prints as a percentage, "ms"/"n" as a number.
COLUMNS = [
    ("Hit@1", "sentence", "S@1", "pct"),
    ("Hit@4", "sentence", "S@4", "pct"),
    ("Hit@10", "sentence", "S@10", "pct"),
    ("R@5", "sentence", "R@5", "pct"),
    ("R@10", "sentence", "R@10", "pct"),
    ("MRR@10", "sentence", "MRR@10", "num"),
    ("nDCG@10", "sentence", "nDCG@10", "num"),
    ("art R@5", "article", "R@5", "pct"),
    ("cited gold", "answers", "cited_gold", "pct"),
    ("first cited", "answers", "first_cited_gold", "pct"),
    ("cite P", "answers", "cite_precision", "pct"),
    ("cite R", "answers", "cite_recall", "pct"),
    ("cites/ans", "answers", "cites_per_answer", "one"),
    ("answered", "answers", "answer_rate", "pct"),
    ("abstained", "answers", "abstain_rate", "pct"),
    ("chars read", "", "evidence_chars", "int"),
    ("p50 ms", "latency", "latency_p50_ms", "int"),
    ("p95 ms", "latency", "latency_p95_ms", "int"),
]
CHART = [
    ("Hit@1", "sentence", "S@1"),
    ("Hit@4", "sentence", "S@4"),
    ("R@10", "sentence", "R@10"),
    ("MRR@10", "sentence", "MRR@10"),
    ("nDCG@10", "sentence", "nDCG@10"),
    ("cited gold", "answers", "cited_gold"),
    ("first cited", "answers", "first_cited_gold"),
    ("cite P", "answers", "cite_precision"),
    ("answered", "answers", "answer_rate"),
    ("abstained", "answers", "abstain_rate"),
]


def value(result: ConfigResult, where: str, key: str):
    if not where:
        return getattr(result, key)
    group = getattr(result, where)
    return group.get(key) if group else None


def _fmt(v, kind: str) -> str:
    if v is None:
        return "–"
    if kind == "pct":
        return f"{100 * v:.0f}%"
    if kind == "num":
        return f"{v:.3f}"
    if kind == "one":
        return f"{v:.1f}"
    return f"{v:,.0f}"


def _columns(report: EvalReport) -> list[tuple[str, str, str, str]]:
    """Only the columns some configuration has a figure for."""
    return [c for c in COLUMNS if any(value(r, c[1], c[2]) is not None for r in report.configs)]


def markdown_table(report: EvalReport) -> str:
    cols = _columns(report)
    lines = [
        "| config | " + " | ".join(c[0] for c in cols) + " |",
        "| --- | " + " | ".join("---:" for _ in cols) + " |",
    ]
    for r in report.configs:
        lines.append(f"| {r.name} | " + " | ".join(_fmt(value(r, c[1], c[2]), c[3]) for c in cols) + " |")
    return "\n".join(lines)


# Per question type, for the configurations that answer (answer; naive through its top 4 chunks).
KIND_ANSWER_COLUMNS = [
    ("cited gold", "cited_gold", "pct"),
    ("first cited", "first_cited_gold", "pct"),
    ("cite P", "cite_precision", "pct"),
    ("cites/ans", "cites_per_answer", "one"),
    ("answered", "answer_rate", "pct"),
    ("abstained", "abstain_rate", "pct"),
]


def kind_tables(report: EvalReport) -> str:
    """Per question type: Hit@4 of each retrieval configuration, and one table of answer figures per answering one."""
    kinds: dict[str, int] = {}
    for r in report.configs:
        for kind, figures in r.by_kind.items():
            kinds.setdefault(kind, figures["questions"])
    if not kinds:
        return ""
    head = "| config | " + " | ".join(f"{k} ({n})" for k, n in kinds.items()) + " |"
    rule = "| --- | " + " | ".join("---:" for _ in kinds) + " |"
    out: list[str] = []
    ranked = [r for r in report.configs if any(f.get("sentence") for f in r.by_kind.values())]
    if ranked:
        out += ["Hit@4 by question type:", "", head, rule]
        for r in ranked:
            cells = [_fmt((r.by_kind.get(k, {}).get("sentence") or {}).get("S@4"), "pct") for k in kinds]
            out.append(f"| {r.name} | " + " | ".join(cells) + " |")
    for r in report.configs:
        rows = {k: f.get("answers") for k, f in r.by_kind.items() if f.get("answers")}
        if not rows:
            continue
        if out:
            out.append("")
        out += [
            f"Answers by question type, {r.name}:",
            "",
            "| type | questions | " + " | ".join(c[0] for c in KIND_ANSWER_COLUMNS) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in KIND_ANSWER_COLUMNS) + " |",
        ]
        for k, a in rows.items():
            cells = [_fmt(a.get(key), fmt) for _, key, fmt in KIND_ANSWER_COLUMNS]
            out.append(f"| {k} | {kinds[k]} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def summary_lines(report: EvalReport) -> list[str]:
    """What was measured on what, for the top of the terminal output and the Markdown file."""
    lines = [
        f"dataset {report.dataset}: {report.questions} questions ({report.answerable} answerable, "
        f"{report.unanswerable} unanswerable), corpus {report.corpus_articles} articles / "
        f"{report.corpus_sentences} sentences, top-{report.k}, seed {report.seed}"
        + (f", limit {report.limit}" if report.limit else ""),
    ]
    if report.gold_missing:
        lines.append(
            f"warning: {report.gold_missing} gold evidence not found in the corpus "
            f"({report.questions_without_gold} answerable questions left without gold, not scored for retrieval)"
            + (f"; first: {report.missing_examples[0]}" if report.missing_examples else "")
        )
    for r in report.configs:
        if r.errors:
            lines.append(f"warning: {r.name}: {r.errors} questions failed; first: {r.first_error}")
    for r in report.configs:
        w = r.answers or {}
        if w.get("windowed"):
            lines.append(
                f"dated: {r.name}: of {w['windowed']} questions with a date window, {_fmt(w['window_answered'], 'pct')} "
                f"answered; answers citing only in-window articles {_fmt(w['cites_in_window'], 'pct')} (target 100%); "
                f"gold sentence cited {_fmt(w['window_gold_found'], 'pct')}"
            )
    lines += [f"note: {n}" for n in report.notes]
    return lines


LEGEND = (
    "Hit@k: share of questions with a gold sentence in the top k (naive: a chunk containing one; "
    "MultiHop-RAG's Hits@k). R@k: share of gold sentences in the top k. MRR@10, nDCG@10 over the "
    "top 10. art R@5: gold articles in the top 5. cited gold / cite P / cite R: answers citing a "
    "gold sentence, share of citations that are gold, share of gold cited (naive: its top 4 chunks). "
    "first cited: answers whose FIRST citation is gold (naive: its top chunk holds gold). "
    "answered: answerable questions answered; abstained: unanswerable ones declined. chars read: "
    "text a reader checks per question (top 4 items, or the cited sentences)."
)


def write_outputs(report: EvalReport, out: Path) -> list[Path]:
    """Write results.md, results.json and results.png into `out`; returns the paths."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(f"cannot create {out} ({exc.strerror}); pass --out a writable folder") from None
    md = out / "results.md"
    md.write_text(
        f"# Retrieval evaluation: {report.dataset}\n\n"
        + "\n".join(f"- {line}" for line in summary_lines(report))
        + f"\n- machine: {report.machine}\n"
        + (f"- command: `{report.command}`\n" if report.command else "")
        + "\n"
        + markdown_table(report)
        + f"\n\n{LEGEND}\n"
        + (f"\n{kind_tables(report)}\n" if report.configs and kind_tables(report) else ""),
        encoding="utf-8",
    )
    js = out / "results.json"
    js.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    png = out / "results.png"
    bar_chart(report, png)
    return [md, js, png]


def bar_chart(report: EvalReport, path: Path) -> None:
    """Grouped bars: one group per measure, one bar per configuration (measures that exist only)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt

    measures = [m for m in CHART if any(value(r, m[1], m[2]) is not None for r in report.configs)]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(measures) + 2), 4.2), dpi=120)
    width = 0.8 / max(1, len(report.configs))
    for i, r in enumerate(report.configs):
        xs, ys = [], []
        for j, (_, where, key) in enumerate(measures):
            v = value(r, where, key)
            if v is not None:
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(v)
        bars = ax.bar(xs, ys, width, label=r.name)
        ax.bar_label(bars, labels=[f"{100 * y:.0f}" for y in ys], fontsize=6, padding=1)
    ax.set_xticks(range(len(measures)), [m[0] for m in measures], fontsize=8)
    ax.set_ylim(0, 1.25)  # room for the legend above the bars
    ax.set_ylabel("share (MRR, nDCG: score)")
    ax.set_title(f"newsbot retrieval on {report.dataset} ({report.questions} questions)", fontsize=10)
    ax.legend(fontsize=7, ncols=min(5, len(report.configs)), loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
