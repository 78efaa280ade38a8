"""Which sentence segmenter suits news text: accuracy on tricky cases and speed on the BBC set.

Run: python benchmarks/sentences.py [--bbc ../shared/datasets/bbc_news_2225]

Every library is run through the same wrapper as newsbot (`retrieval.indexing.sentences.sentence_spans`:
line breaks are hard boundaries, the library only proposes cut points), with and without
newsbot's small post-fixes. Accuracy = share of cases split exactly as expected; boundary F1
counts individual cuts. Speed = BBC articles segmented per second (one core, text already read).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval.indexing.sentences import Segmenter, blingfire_spans, sentence_spans  # noqa: E402

# Each case: the sentences a careful news reader would cut; the text is them joined by a space.
CASES: list[list[str]] = [
    ["Mr. Smith went to Washington.", "He arrived on Monday."],
    ["Mrs. Jones and Dr. Patel met the minister.", "They talked for an hour."],
    ["The U.S. economy grew by 3.5% last year.", "Analysts had expected less."],
    ["Talks with the U.K. government stalled.", "A deal is unlikely."],
    ["Profits rose to $4bn (£2.1bn) in the year.", "Shares rose."],
    ["TimeWarner jumped 76% to $1.13bn (£600m) for the quarter.", "Sales rose 2% to $11.1bn from $10.9bn."],
    ['"We will win," he said.', "The crowd cheered."],
    ['"We will win."', "The crowd cheered."],
    ["He said: \u201cThis is over.\u201d", "Then he left."],
    ["\u2018It is finished.\u2019", "The talks ended."],
    ["Inflation fell to 2.4% in May.", "It was 2.9% in April."],
    ["No. 10 said the plan was on track.", "Critics disagreed."],
    ["The deal was signed at No. 10 Downing Street.", "It took months."],
    ["J. K. Rowling wrote the books.", "They sold millions."],
    ["George W. Bush spoke first.", "Then the senator replied."],
    ["The firm moved to the U.S.", "It opened a plant in Ohio."],
    ["He works for Acme Inc.", "The company declined to comment."],
    ["Wait for it...", "The result came at midnight."],
    ["It was, he said, \u2026 complicated.", "Nobody laughed."],
    ["Is this the end?", "Nobody knows."],
    ["What a result!", "The fans were delighted."],
    ["The meeting starts at 9 a.m. on Friday.", "Bring ID."],
    ["Gen. Smith and Col. Brown attended.", "Both declined to speak."],
    ["Sales reached 1.2m units, e.g. in Europe and Asia.", "The firm was pleased."],
    ["The vote was 52 vs. 48.", "It was close."],
    ["She lives on Baker St. in London.", "Her rent is high."],
    ["Prof. Ann Lee led the study.", "It took three years."],
    ["Microsoft Corp. reported results on Tuesday.", "Its shares rose 4%."],
    ["The rate rose 0.25 percentage points.", "Markets fell."],
    ["Apple (AAPL.O) shares rose.", "Google's did not."],
    ["They scored in the 89th min. and won.", "It was their first win."],
    ["Visit www.bbc.co.uk for details.", "The site is free."],
    ["Chelsea beat Arsenal 2-1.", "Arsenal are now third."],
    ["The U.N. Security Council met on Monday.", "It issued a statement."],
    ["Sen. Warren (D-Mass.) objected.", "The bill passed anyway."],
    ["Shares closed at 101.5p.", "That was a record."],
    ["The figure was revised (see below).", "It rose."],
    ['He called it "a disaster".', "Others agreed."],
    ["The St. Louis Cardinals won.", "Fans celebrated."],
    ["Output rose 1.5% in Q3.", "Exports led the way."],
    ["Ms. Ardern resigned in Jan. 2023.", "Her deputy took over."],
    # Errors seen on the BBC set (found by diffing the libraries' output).
    ["Providers want to hold on to customers.", "12% of those surveyed switched."],
    ['"We will win," he said.', '"2005 will be a big year."'],
    ['"Why target the airlines?" said Ulrich Schulte.', "He was angry."],
    ['"What have they got to hide?" he asked.', "Nobody answered."],
    ["The firm is based in the US.", "It employs 500 people."],
    ["Sales fell at M&S.", '"This is bad," said one analyst.'],
    ["Some conmen try to cash in.", "Police are warning the public."],
    ["The album topped the US chart.", "50 Cent said he was pleased."],
    ["The index rose 5.07 points to 3,817.69.", "Investors were pleased."],
    ["The starting line-up: G Thomas (capt); K Morgan, T Shanklin; S Jones, D Peel."],
    ["The answer was no.", "The talks collapsed."],
    ["Visit amazon.com or Bungie.Org for details.", "Both are free."],
]

# Multi-line cases: line breaks are hard boundaries even without a full stop.
LINE_CASES: list[tuple[str, list[str]]] = [
    ("Also Read: US strike kills 8\nHowever, more remain.", ["Also Read: US strike kills 8", "However, more remain."]),
    ("Headline here\n\nBody starts. It ends.", ["Headline here", "Body starts.", "It ends."]),
    ("He gave to victims of the tsunami.Steve will write a column.", ["He gave to victims of the tsunami.", "Steve will write a column."]),
]


def pysbd_spans() -> Segmenter:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda line: [(s.start, s.end) for s in seg.segment(line)]


def syntok_spans() -> Segmenter:
    from syntok import segmenter

    def spans(line: str) -> list[tuple[int, int]]:
        out = []
        for para in segmenter.analyze(line):
            for sent in para:
                out.append((sent[0].offset, sent[-1].offset + len(sent[-1].value)))
        return out

    return spans


def cuts(text: str, spans: list[tuple[int, int]]) -> set[int]:
    return {a for a, _ in spans[1:]}


def score(segment: Segmenter, fix: bool) -> tuple[float, float, list[str]]:
    exact, tp, fp, fn, wrong = 0, 0, 0, 0, []
    cases = [(" ".join(c), c) for c in CASES] + LINE_CASES
    for text, expected in cases:
        spans = sentence_spans(text, segment, fix=fix)
        got = [text[a:b] for a, b in spans]
        exp_spans, pos = [], 0
        for s in expected:
            a = text.index(s, pos)
            exp_spans.append((a, a + len(s)))
            pos = a + len(s)
        g, e = cuts(text, spans), cuts(text, exp_spans)
        tp, fp, fn = tp + len(g & e), fp + len(g - e), fn + len(e - g)
        if got == expected:
            exact += 1
        else:
            wrong.append(" | ".join(got))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return exact / len(cases), f1, wrong


def bbc_texts(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*.txt")) if p.name != "README.TXT"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bbc", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets/bbc_news_2225")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    texts = bbc_texts(args.bbc)
    libs = {"blingfire": blingfire_spans, "pysbd": pysbd_spans(), "syntok": syntok_spans()}
    n_cases = len(CASES) + len(LINE_CASES)
    print(f"{n_cases} tricky news cases; {len(texts)} BBC articles; command: python benchmarks/sentences.py")
    print(f"{'segmenter':<22}{'exact':>8}{'cut F1':>8}{'articles/s':>12}{'sentences':>11}")
    for name, seg in libs.items():
        for fix in (False, True):
            acc, f1, wrong = score(seg, fix)
            t0 = time.perf_counter()
            n = sum(len(sentence_spans(t, seg, fix=fix)) for t in texts)
            dt = time.perf_counter() - t0
            label = name + (" +fixes" if fix else "")
            print(f"{label:<22}{acc:>8.1%}{f1:>8.3f}{len(texts) / dt:>12.0f}{n:>11}")
            if args.show_errors:
                for w in wrong:
                    print("    wrong:", w)


if __name__ == "__main__":
    main()
