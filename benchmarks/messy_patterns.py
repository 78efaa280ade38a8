"""The answering patterns over messy input: each against the way it was written before, in one run.

    python benchmarks/messy_patterns.py

An index made before sentences were capped at 1,000 characters may hold a 200 KB "sentence" (a
flattened table, a text without full stops), and every candidate sentence of a question is read by
the answer-kind patterns (`retrieval/answering/kinds.py`) and, for role questions, the name pattern
(`retrieval/answering/roles.py`). Written without anchors or possessive runs, they retried every
split of a long run of digits or capitalised words: the time grew with the square of its length.
The citation-mark patterns read a model's answer, and the Discord bot's earlier answers in a
thread, where a run of spaces did the same. Prints each pattern's time on such a run, the old
form's, and the ratio; both must find the same.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.answering import kinds, roles
from retrieval.evaluation.runner import machine_line

OLD_PART = r"[A-Z][\w'’-]*[a-z][\w'’-]*"
OLD_NUMBER = r"(?:\d+(?:[.,]\d+)*|a|an|one|"  # the start of the duration pattern's number, unanchored


def timed(pattern: re.Pattern, text: str) -> tuple[float, list[str]]:
    t = time.perf_counter()
    found = [m.group(0) for m in pattern.finditer(text)]
    return time.perf_counter() - t, found


def main() -> int:
    print(" ".join(["python", *sys.argv]))
    print(machine_line())
    duration = kinds.expected_subkind("How long did it last?")[1]
    money = kinds.expected_subkind("How much did it cost?")[1]
    name = re.compile("(?P<name>" + roles.NAME_PATTERN + r"),")
    cases = [
        ("names, 48 KB of capitalised words", name, re.compile(name.pattern.replace(roles._PART, OLD_PART)),
         "Bob's-Uncle " * 4000 + "met Chelsea boss Jose Mourinho."),
        ("duration, 8 KB of digits and commas", duration,
         re.compile(duration.pattern.replace(r"\b(?:(?<![\d.,])\d++(?:[.,]\d++)*+|a|an|one|", OLD_NUMBER), re.I),
         "1," * 4000),
        ("money, 8 KB of digits and commas", money,
         re.compile(money.pattern.replace(r"(?<![\d.,])\d++(?:[.,]\d++)*+", r"\d(?:[.,]\d+)*"), re.I),
         "1," * 4000),
    ]
    from bot.discord.bot import _CITATION_MARKS
    from retrieval.text import CITATION_MARK

    spaces = " " * 1500 + "no mark"
    cases += [
        # A model's answer (the LLM backends) or an old answer in a Discord thread with a run of spaces.
        ("citation marks in a chat log, 1.5 KB of spaces", _CITATION_MARKS,
         re.compile(_CITATION_MARKS.pattern.replace(r"(?<!\s)(?:\s*(?:[,;]\s*)?", r"(?:\s*[,;]?\s*")), spaces),
        ("citation marks in a model's answer, 20 KB of spaces", CITATION_MARK,
         re.compile(CITATION_MARK.pattern.removeprefix(r"(?<!\s)"), re.I), " " * 20_000 + "no mark"),
    ]
    for title, new, old, text in cases:
        assert new.pattern != old.pattern, title
        (t_new, found_new), (t_old, found_old) = timed(new, text), timed(old, text)
        assert found_new == found_old, (title, found_new[:3], found_old[:3])
        print(f"{title}: {t_new * 1000:.1f} ms (as written before {t_old * 1000:.0f} ms, {t_old / max(t_new, 1e-9):.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
