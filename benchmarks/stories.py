"""Stories on the BBC set: do copies fall into one story, and is a multi-article story one event?

    python benchmarks/stories.py --data-dir /work/data/bbc          # an ingested BBC index: copied first
    python benchmarks/stories.py                                    # ingests the set into a temp dir (~5 min)

1. Recall: every pair of BBC files sharing >= 50% of the smaller file's 8-word shingles (175 pairs,
   98 of them exact copies the index stores once) should be in one story (target >= 95%).
2. Precision by reading: a seeded sample of 50 multi-article stories, printed with their titles and
   the verdict written after reading them (benchmarks/stories_verdicts.json; target >= 90% one event).

A given index is copied to a temp folder (the benchmark writes story ids into it when it has none:
the backfill `ingest` runs once); the copy is deleted at the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval import stories as stories_module
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.sources.ingest import ingest_paths
from retrieval.stories import shingles

DATASET = ROOT.parent / "shared" / "datasets" / "bbc_news_2225"
VERDICTS = Path(__file__).with_name("stories_verdicts.json")
PAIR_CONTAINMENT = 0.5


def near_pairs(folder: Path) -> list[tuple[str, str, float, bool]]:
    """(file, file, containment, exact copy) for every pair of files sharing >= 50% of the smaller's shingles."""
    files = sorted(p for p in folder.rglob("*.txt") if p.name != "README.TXT")
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    sets = [shingles(t) for t in texts]
    postings: dict[bytes, list[int]] = collections.defaultdict(list)
    for i, s in enumerate(sets):
        for x in s:
            postings[x].append(i)
    shared: collections.Counter = collections.Counter()
    for ids in postings.values():
        if len(ids) > 50:  # boilerplate shared by many files, not evidence of a copy
            continue
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                shared[(ids[a], ids[b])] += 1
    out = []
    for (i, j), n in shared.items():
        c = n / max(1, min(len(sets[i]), len(sets[j])))
        if c >= PAIR_CONTAINMENT:
            out.append((str(files[i].relative_to(folder)), str(files[j].relative_to(folder)), c, texts[i].strip() == texts[j].strip()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="an index of the BBC set (copied before writing); default: ingest anew")
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--similarity", type=float, help="NEWSBOT_STORY_SIMILARITY to try (default: the setting's)")
    ap.add_argument("--containment", type=float, help="stories.COPY_CONTAINMENT to try")
    args = ap.parse_args()
    print("$ python benchmarks/stories.py " + " ".join(sys.argv[1:]))

    if args.containment is not None:
        stories_module.COPY_CONTAINMENT = args.containment
    extra = {"story_similarity": args.similarity} if args.similarity is not None else {}
    work = Path(tempfile.mkdtemp(prefix="newsbot-stories-"))
    try:
        data = work / "data"
        started = time.perf_counter()
        if args.data_dir:
            shutil.copytree(args.data_dir, data)
            settings = Settings(data_dir=data, **extra)
            index = NewsIndex.open(settings)
            index.add_articles([])  # the once-only backfill that `ingest` runs on an index without stories
            how = f"backfill of a copy of {args.data_dir}"
        else:
            settings = Settings(data_dir=data, **extra)
            index = NewsIndex.open(settings)
            ingest_paths(index, [args.dataset], settings, progress=False)
            how = f"fresh ingest of {args.dataset}"
        took = time.perf_counter() - started
        infos = index.list_articles()
        print(f"stories assigned by {how}: {took:.1f} s for {len(infos)} articles")
        report(infos, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _rel(key: str, dataset: Path) -> list[str]:
    keys = json.loads(key) if key.startswith("[") else [key]
    return [k.split(dataset.name + "/", 1)[-1] for k in keys]


def report(infos, args) -> None:
    by_file = {rel: a for a in infos for rel in _rel(a.key, args.dataset)}
    pairs = near_pairs(args.dataset)
    hit = [p for p in pairs if by_file[p[0]].story_id == by_file[p[1]].story_id]
    exact = [p for p in pairs if p[3]]
    near = [p for p in pairs if not p[3]]
    near_hit = [p for p in near if p in hit]
    print(f"\npairs of files sharing >= 50% of their 8-word shingles: {len(pairs)} ({len(exact)} exact copies, {len(near)} near copies)")
    print(f"recall, in one story: {len(hit)}/{len(pairs)} = {len(hit) / max(1, len(pairs)):.1%} (target >= 95%)")
    print(f"  near copies alone: {len(near_hit)}/{len(near)} = {len(near_hit) / max(1, len(near)):.1%}")
    for a, b, c, _ in sorted(set(near) - set(near_hit)):
        print(f"  missed: {a} / {b} ({c:.0%} shared): {by_file[a].title!r} / {by_file[b].title!r}")

    stories = collections.defaultdict(list)
    for a in infos:
        stories[a.story_id].append(a)
    # A story is named by its files (story ids depend on the order articles arrived in).
    names = {sid: " ".join(sorted(r for a in arts for r in _rel(a.key, args.dataset))) for sid, arts in stories.items()}
    multi = sorted((sid for sid, arts in stories.items() if len(arts) > 1), key=names.get)
    sizes = collections.Counter(len(stories[s]) for s in multi)
    print(f"\nstories: {len(stories)} for {len(infos)} articles; {len(multi)} with more than one article "
          f"(sizes: {dict(sorted(sizes.items()))})")
    sample = random.Random(args.seed).sample(multi, min(args.sample, len(multi)))
    verdicts = json.loads(VERDICTS.read_text()) if VERDICTS.is_file() else {}
    ones, judged = 0, 0
    print(f"\nsample of {len(sample)} multi-article stories (seed {args.seed}), verdicts from {VERDICTS.name}:")
    for n, sid in enumerate(sample, 1):
        v = verdicts.get(names[sid])
        label = "not judged" if v is None else ("ONE EVENT" if v["one_event"] else "NOT ONE EVENT")
        if v is not None:
            judged += 1
            ones += bool(v["one_event"])
        print(f"{n:2}. {names[sid]} [{label}]" + (f" {v['why']}" if v and v.get("why") else ""))
        for a in sorted(stories[sid], key=lambda a: a.key):
            print(f"      - {a.title}  ({', '.join(_rel(a.key, args.dataset))})")
    print(f"\none event: {ones}/{judged} judged = {ones / max(1, judged):.1%} (target >= 90%)"
          + (f"; {len(sample) - judged} not judged yet" if judged < len(sample) else ""))
    every = [verdicts[names[s]]["one_event"] for s in multi if names[s] in verdicts]
    print(f"all {len(multi)} multi-article stories: {sum(every)}/{len(every)} judged one event = "
          f"{sum(every) / max(1, len(every)):.1%}")


if __name__ == "__main__":
    main()
