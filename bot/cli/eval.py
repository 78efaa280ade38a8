"""`newsbot eval`: measure retrieval and citations on a dataset, side by side with the naive baseline."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from bot.cli.shared import friendly_errors, pass_settings
from retrieval.evaluation import DATASETS, SUBSETS, load_dataset
from retrieval.settings import Settings


@click.command("eval")
@click.option("--dataset", "kind", type=click.Choice(DATASETS), required=True, help="Format of --path.")
@click.option("--path", type=click.Path(path_type=Path), required=True, help="Dataset file or folder.")
@click.option("--distractors", type=click.Path(path_type=Path), help="Folder of .txt articles added to the corpus.")
@click.option(
    "--corpus",
    "corpus_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="jsonl only: build an isolated index from these files/folders instead of using your index.",
)
@click.option(
    "--compare",
    default="hybrid,answer",
    show_default=True,
    help="Configurations, comma-separated: naive, dense, bm25, hybrid, answer.",
)
@click.option("-k", "k", default=10, show_default=True, help="Items retrieved per question.")
@click.option("--limit", type=click.IntRange(min=1), help="Ask only N questions (a fixed-seed random sample).")
@click.option(
    "--max-articles",
    type=click.IntRange(min=1),
    help="Quick runs: keep the questions' articles plus random others up to N (also cuts a --corpus build).",
)
@click.option(
    "--subset",
    type=click.Choice(SUBSETS),
    help="Only questions whose sha1(id) is even (the tuning split) or odd (the report split).",
)
@click.option("--seed", default=13, show_default=True, help="Seed for every sample.")
@click.option("--split", default="test", show_default=True, help="beir only: which qrels/<split>.tsv to use.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Write results.md, results.json, results.png here."
)
@click.option("--rebuild", is_flag=True, help="Rebuild the dataset's index even if a matching one exists.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: only on a terminal).")
@pass_settings
@friendly_errors
def eval_command(
    settings: Settings,
    kind: str,
    path: Path,
    distractors: Path | None,
    corpus_paths: tuple[Path, ...],
    compare: str,
    k: int,
    limit: int | None,
    max_articles: int | None,
    subset: str | None,
    seed: int,
    split: str,
    out: Path | None,
    rebuild: bool,
    progress: bool | None,
) -> None:
    """Evaluate retrieval and citations on a dataset (HotpotQA, MultiHop-RAG, SQuAD 2.0, BEIR, JSONL).

    Each dataset gets its own index under <data dir>/eval/ (reused while the corpus is unchanged);
    `--dataset jsonl` asks your own index unless --corpus is given.

    \b
    Examples:
      newsbot eval --dataset hotpotqa --path ../shared/datasets/hotpotqa_hipporag_100
      newsbot eval --dataset multihop --path ../shared/datasets/multihop_rag_500 \\
                   --distractors ../shared/datasets/bbc_news_2225
      newsbot eval --dataset squad --path ../shared/datasets/squad2_500 \\
                   --compare naive,dense,bm25,hybrid,answer --out results/
      newsbot eval --dataset jsonl --path my_questions.jsonl
      newsbot eval --dataset jsonl --path ../shared/datasets/bbc_news_questions_dev/questions.jsonl \\
                   --corpus ../shared/datasets/bbc_news_2225 --compare naive,answer --subset odd
    """
    # imported here, not at the top: they load chromadb, onnxruntime and matplotlib
    from retrieval.evaluation import (
        LEGEND,
        evaluate,
        kind_tables,
        markdown_table,
        parse_configs,
        summary_lines,
        write_outputs,
    )

    configs = parse_configs(compare)
    if corpus_paths and kind != "jsonl":
        raise click.UsageError("--corpus is for --dataset jsonl; the other datasets bring their own corpus")
    show = sys.stderr.isatty() if progress is None else progress
    ds = load_dataset(kind, path, distractors=distractors, split=split)
    report = evaluate(
        ds,
        settings,
        configs,
        k=k,
        seed=seed,
        limit=limit,
        max_articles=max_articles,
        corpus_paths=corpus_paths,
        rebuild=rebuild,
        show=show,
        path=str(path),
        subset=subset,
    )
    report.command = _command_line(click.get_current_context())
    for line in summary_lines(report):
        click.echo(
            click.style(line, fg="yellow") if line.startswith("warning") else line, err=line.startswith("warning")
        )
    click.echo()
    click.echo(markdown_table(report))
    click.echo()
    click.echo(LEGEND)
    by_kind = kind_tables(report)
    if by_kind:
        click.echo()
        click.echo(by_kind)
    if out is not None:
        for written in write_outputs(report, out):
            click.echo(f"wrote {written}")


def _command_line(ctx: click.Context) -> str:
    """The command that reproduces this run (options left at their defaults omitted), for the report."""
    parts = ["newsbot", "eval"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if not isinstance(param, click.Option) or value in (None, (), False) or value == param.default:
            continue
        flag = max(param.opts, key=len)
        for v in value if isinstance(value, tuple) else [value]:
            parts += [flag] if v is True else [flag, str(v)]
    return shlex.join(parts)
