"""``pose-sync rescore``: re-analyse stored history locally after the analysis changed."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pose_sync.analysis import ANALYSIS_VERSION
from pose_sync.cli.app import App
from pose_sync.lock import sync_lock
from pose_sync.rescore import rescore


@click.command("rescore")
@click.option("--all", "all_runs", is_flag=True, help="Re-score every run, not only those from older versions.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes to use (default: one per CPU core).")
@click.pass_obj
def command(app: App, all_runs: bool, workers: int | None) -> None:
    """Re-analyse stored runs from their kept original files, in parallel, offline.

    \b
    Runs analysed by an older pose-sync (analysis version below the current
    one) are re-scored from the original FIT file kept in your data folder,
    or from the stored samples for runs that came as platform streams. No
    platform is contacted. Notes already written are not touched; the next
    sync rewrites a note only where its text changed.
    """
    progress = Progress(TextColumn("re-scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=app.err, transient=True, disable=not app.interactive)
    with sync_lock(app.data_dir), progress:
        task = progress.add_task("", total=None)
        summary = rescore(app.store, all_runs=all_runs, workers=workers,
                          on_total=lambda n: progress.update(task, total=n),
                          on_done=lambda: progress.advance(task))
    app.out.print(f"rescored {summary.rescored} run(s) to analysis v{ANALYSIS_VERSION} "
                  f"({summary.changed} score(s) changed), {len(summary.failed)} failed, "
                  f"{summary.skipped} without a stored file", highlight=False)
    for run_id, error in summary.failed:
        app.err.print(f"error: run {run_id}: {error}", markup=False, highlight=False)
    if summary.failed:
        raise click.exceptions.Exit(1)
