"""``pose-sync analyze``: a form report for FIT files, storing nothing."""

from __future__ import annotations

import click

from pose_sync.cli.app import App
from pose_sync.cli.batch import run_batch
from pose_sync.importer import Outcome, analyse_fit
from pose_sync.inputs import FitInput


@click.command("analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON Lines: one object per running session, or per input that has none.")
@click.pass_obj
def command(app: App, paths: tuple[str, ...], as_json: bool) -> None:
    """Analyse running form in FIT files, folders or .zip exports (nothing is stored).

    \b
    For each running session: distance and time, the averages your device
    recorded next to ours, a form score (0-100) that compares your cadence,
    ground contact, bounce and balance with runners AT YOUR PACE, how form
    drifted late in the run, and economy (speed per heartbeat) when there is
    heart rate or power. Rides, swims, walks and workout files are skipped
    with a reason; damaged files are analysed as far as they can be read,
    and values no runner can produce (a glitched record: 40,000 km, 500 spm)
    are dropped with a warning, never averaged in.

    \b
    Examples:
      pose-sync analyze morning-run.fit
      pose-sync analyze --json ~/Downloads/export.zip | jq .form.score
    """
    def process(item: FitInput) -> list[Outcome]:
        return analyse_fit(item.read(), item.source)

    code = run_batch(app, paths, process, as_json=as_json, show_reports=True)
    if code:
        raise click.exceptions.Exit(code)
