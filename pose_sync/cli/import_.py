"""``pose-sync import``: analyse FIT files and keep the runs for progression."""

from __future__ import annotations

import click

from pose_sync.cli.app import App
from pose_sync.cli.batch import run_batch
from pose_sync.importer import Outcome, curve_history, store_fit
from pose_sync.inputs import FitInput


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines instead of a summary.")
@click.pass_obj
def command(app: App, paths: tuple[str, ...], as_json: bool) -> None:
    """Import runs from FIT files, folders (recursively) or .zip exports into your store.

    \b
    Each running session is analysed once and kept, with its original file,
    so `pose-sync report` can follow your form and load over time. Importing
    the same file again changes nothing; the same run already pulled from
    Garmin or Strava is recognised (start time and distance) and linked.

    \b
    Examples:
      pose-sync import ~/Downloads/garmin-export.zip
      pose-sync import /media/GARMIN/Activity/
    """
    store = app.store
    curves = curve_history(store)  # once per batch; every run stored here adds to it

    def process(item: FitInput) -> list[Outcome]:
        return store_fit(store, item.read(), item.source, curves=curves)

    code = run_batch(app, paths, process, as_json=as_json, show_reports=False)
    if not as_json:
        app.err.print(f"store: {app.data_dir} ({store.count_runs()} run(s) in total)", highlight=False)
    if code:
        raise click.exceptions.Exit(code)
