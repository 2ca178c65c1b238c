"""How long the CLI takes to start, now and before lazy loading, measured in the same run.

A runner types ``pose-sync --help`` first, and cron starts ``pose-sync sync``
every half hour mostly to find nothing new; both should answer at once.
Three commands are timed (median of several runs, each a fresh process):

* ``--help``;
* ``sync`` with nothing to do (a local folder whose one file is already synced);
* ``sync`` while another sync holds the lock (exits 3 at once).

The baseline is the source tree at ``--baseline`` (default: the commit before
commands and plugins were loaded lazily), extracted with ``git archive`` and
put first on ``PYTHONPATH``, so both run in this venv with the same
libraries; figures are ratios to it.

    python -m bench.startup_bench [--baseline REF] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE_LAZY = "fb35045"   # eager imports of every plugin and heavy library (issue 11)
SAMPLE = ROOT / "samples/fit/jimmykane_fit-parser/running-with-developer-data.fit"
LAUNCH = "import sys; from pose_sync.cli import main; sys.argv[0] = 'pose-sync'; main()"


def _extract(ref: str, into: Path) -> Path | None:
    """The baseline tree's packages (core and plugins), or None without git."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "pose_sync", "plugins"],
                                 check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    tar = into / "baseline.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as handle:
        handle.extractall(into / "tree", filter="data")
    return into / "tree"


def _pythonpath(tree: Path | None) -> str:
    roots = [ROOT] if tree is None else [tree]
    paths = [str(r) for r in roots] + [str(r / "plugins" / p) for r in roots for p in ("local", "strava", "garmin")]
    return os.pathsep.join(paths)


def _time(args: list[str], env: dict[str, str], repeat: int, expect: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", LAUNCH, *args], env=env, capture_output=True)
        samples.append(time.perf_counter() - started)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(args)} exited {done.returncode}, not {expect}:\n{done.stderr.decode()}")
    return statistics.median(samples)


def _setup(work: Path) -> dict[str, str]:
    """A data folder and a config with one local folder whose one run is already synced."""
    folder = work / "watch"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    config = work / "config.toml"
    config.write_text(f"[connectors.local]\nfolders = [{str(folder)!r}]\n[notes]\nsettle_minutes = 0\n")
    env = {**os.environ, "POSE_SYNC_HOME": str(work / "data"), "POSE_SYNC_CONFIG": str(config)}
    env.pop("POSE_SYNC_DEBUG", None)
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BEFORE_LAZY, help="git ref to compare with")
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = _setup(work)
        tree = _extract(options.baseline, work)
        now_env = {**env, "PYTHONPATH": _pythonpath(None)}
        base_env = {**env, "PYTHONPATH": _pythonpath(tree)} if tree else None
        subprocess.run([sys.executable, "-c", LAUNCH, "sync"], env=now_env, check=True, capture_output=True)
        cases = [("pose-sync --help", ["--help"], 0), ("pose-sync sync (nothing to do)", ["sync"], 0)]
        from filelock import FileLock

        print(f"  {'command':36s} {'now':>8s} {'baseline':>9s} {'ratio':>7s}   (baseline: {options.baseline})")
        lock_path = work / "data" / "sync.lock"
        for label, args, code in [*cases, ("pose-sync sync (another is running)", ["sync"], 3)]:
            holder = FileLock(str(lock_path)) if code == 3 else None
            if holder is not None:
                holder.acquire()
            try:
                _time(args, now_env, 1, code)  # warm the caches (.pyc, page cache) for both trees
                if base_env:
                    _time(args, base_env, 1, code)
                now = _time(args, now_env, options.repeat, code)
                base = _time(args, base_env, options.repeat, code) if base_env else None
            finally:
                if holder is not None:
                    holder.release()
            ratio = f"{now / base:6.2f}x" if base else "   n/a"
            print(f"  {label:36s} {now:7.3f}s {base or float('nan'):8.3f}s {ratio}")


if __name__ == "__main__":
    main()
