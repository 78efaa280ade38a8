"""Command-line start-up: `newsbot --help` and a one-off `newsbot ask` on the seed index, end to end.

    python benchmarks/startup.py [--runs 10] [--data-dir DIR] [--importtime] [--baseline CHECKOUT]

Each command runs `--runs` times as a fresh process (`python -m bot ...`, what the `newsbot`
script runs, without the shell shim some Python installers put in front of it), next to
`python -c pass` for scale. Prints median and p90 wall time per command, its ratio to the bare
interpreter and its median CPU time (user + system, all threads: steadier than wall time on a
shared machine), then, with `--importtime`, the slowest imports of one `ask` (`python -X importtime`).
`--baseline` also runs `ask` from another checkout (e.g. a worktree of main), interleaved with
the others, so that before and after see the same load.
Without `--data-dir` a temporary index is seeded first (not timed). The last two lines are
`help median: X.XX s` and `ask median: X.XX s`, for scripts.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How many people did Venezuela release?"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict, cwd: Path = REPO) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    cpu0, t0 = _cpu(), time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    took, cpu = time.perf_counter() - t0, _cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return took, cpu


def _slowest_imports(args: list[str], env: dict, n: int = 12) -> list[tuple[float, str]]:
    """The top-level imports (and chromadb's, onnxruntime's, langchain's) with the most cumulative time."""
    proc = subprocess.run([args[0], "-X", "importtime", *args[1:]], cwd=REPO, env=env, capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if depth <= 1:
            rows.append((int(cumulative) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--data-dir", type=Path, help="an index to ask (default: a fresh one with the seed articles)")
    ap.add_argument("--importtime", action="store_true", help="also list the slowest imports of one `ask`")
    ap.add_argument("--baseline", type=Path, help="another checkout whose `ask` runs interleaved (before/after)")
    args = ap.parse_args()
    print(f"$ python benchmarks/startup.py --runs {args.runs}" + (f" --data-dir {args.data_dir}" if args.data_dir else "")
          + (" --importtime" if args.importtime else "") + (f" --baseline {args.baseline}" if args.baseline else ""))
    if args.baseline and not (args.baseline / "bot" / "__main__.py").is_file():
        sys.exit(f"--baseline {args.baseline}: not a newsbot checkout (no bot/__main__.py); give the folder of one")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load:.1f} at start")

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir)}
        py = sys.executable
        ask = f'newsbot ask "{QUESTION}"'
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "newsbot --help": [py, "-m", "bot", "--help"],
            "newsbot ask --help": [py, "-m", "bot", "ask", "--help"],
            ask: [py, "-m", "bot", "ask", QUESTION],
        }
        folders = {name: REPO for name in commands}
        if args.baseline:
            commands["baseline: " + ask] = commands[ask]
            folders["baseline: " + ask] = args.baseline.resolve()
        _run(commands[ask], env)  # seeds a fresh index, warms the OS file cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so a busy moment hits every command alike
            for name, cmd in commands.items():
                took, cpu = _run(cmd, env, folders[name])
                times[name].append(took)
                cpus[name].append(cpu)
        base = statistics.median(times["python -c pass"])
        print(f"{'command':62} {'median':>8} {'p90':>8} {'x python':>9} {'CPU':>8}")
        for name, ts in times.items():
            ts = sorted(ts)
            p90 = ts[min(len(ts) - 1, round(0.9 * (len(ts) - 1)))]
            med = statistics.median(ts)
            print(f"{name:62} {med:7.2f}s {p90:7.2f}s {med / base:8.1f}x {statistics.median(cpus[name]):7.2f}s")
        print(f"load average {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else "")
        if args.importtime:
            print("slowest imports of one ask (cumulative, top level; -X importtime inflates them):")
            for seconds, name in _slowest_imports(commands[ask], env):
                print(f"  {seconds:6.3f} s  {name}")
        print(f"help median: {statistics.median(times['newsbot --help']):.2f} s")
        print(f"ask median: {statistics.median(times[ask]):.2f} s")


if __name__ == "__main__":
    main()
