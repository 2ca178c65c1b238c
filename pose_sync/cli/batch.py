"""Running a batch of inputs with a progress bar, a summary, and the right exit code.

Shared by ``analyze`` and ``import``: every input is processed even when
some fail; each failure is one line; the exit code is 1 when any failed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pose_sync.cli.app import App
from pose_sync.cli.output import duration, json_line, pace, render_run
from pose_sync.errors import InputError, PoseSyncError
from pose_sync.importer import ERROR, OK, SKIPPED, Outcome
from pose_sync.inputs import FitInput, expand
from pose_sync.model import SourceRef
from pose_sync.progression import counted


def _error_outcome(item: FitInput | InputError, message: str) -> Outcome:
    """An error outcome; the message is stored without the path (the source carries it)."""
    if isinstance(item, FitInput):
        return Outcome(item.source, ERROR, message.removeprefix(f"{item.label}: "))
    path, _, reason = message.partition(": ")
    return Outcome(SourceRef("file", path), ERROR, reason or message)


def _named(outcome: Outcome) -> str:
    return f"{outcome.source.label()}: {outcome.reason}"


def run_batch(app: App, paths: Iterable[str], process: Callable[[FitInput], list[Outcome]],
              *, as_json: bool, show_reports: bool) -> int:
    """Process every input under ``paths``; print reports or JSON lines; return the exit code."""
    items = list(expand(paths))
    counts: Counter[str] = Counter()
    analysed: list[Outcome] = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=app.err, transient=True,
                        disable=not app.interactive or len(items) < 2 or as_json or show_reports)
    with progress:
        task = progress.add_task("analysing", total=len(items))
        for item in items:
            if isinstance(item, InputError):
                outcomes = [_error_outcome(item, str(item))]
            else:
                progress.update(task, description=item.path.name)
                try:
                    outcomes = process(item)
                except PoseSyncError as exc:
                    if isinstance(exc, InputError) or exc.exit_code == 1:
                        outcomes = [_error_outcome(item, str(exc))]
                    else:
                        raise
                except Exception as exc:  # one broken file must not stop the batch
                    if app.debug:
                        raise
                    outcomes = [_error_outcome(item, f"{item.label}: unexpected {type(exc).__name__}: {exc}")]
            for outcome in outcomes:
                counts[outcome.status] += 1
                if outcome.status == OK:
                    analysed.append(outcome)
                if as_json:
                    app.out.print(json_line(outcome), markup=False, highlight=False, soft_wrap=True)
                elif outcome.status == OK and show_reports:
                    render_run(app.out, outcome)
                if outcome.status == ERROR:
                    app.err.print(f"error: {_named(outcome)}", markup=False, highlight=False, soft_wrap=True)
                elif outcome.status == SKIPPED and not as_json:
                    app.err.print(f"skipped {_named(outcome)}", markup=False, style="dim", highlight=False,
                                  soft_wrap=True)
            progress.advance(task)
    if not as_json:
        if not show_reports and analysed:
            _runs_table(app, analysed)
        _summary(app, counts, len(items))
    return 1 if counts[ERROR] else 0


STORED = {"created": "new", "linked": "linked", "unchanged": "known", "upgraded": "better"}


def _runs_table(app: App, outcomes: list[Outcome], most: int = 30) -> None:
    """What a batch import found, a run per row, in time order."""
    ordered = sorted((o for o in outcomes if o.analysis is not None), key=lambda o: o.analysis.start_time)  # type: ignore[union-attr]
    rows = []
    implausible: list[str] = []
    for outcome in ordered[-most:]:
        a = outcome.analysis
        assert a is not None
        name = Path(outcome.source.member or outcome.source.remote_id).name
        form = f"{a.form.score:.0f} ({a.form.confidence:.1f})" if a.form.score is not None else "-"
        # the pace of the distance and moving time shown beside it, so the three numbers agree
        shown_pace = pace(a.distance_m / a.moving_time_s) if a.moving_time_s > 0 and a.distance_m > 0 else "-"
        why = counted.left_out(a)
        if why is not None and why.kind == "implausible":
            implausible.append(f"! {a.start_time:%Y-%m-%d} {name}: {why.reason} (kept, but left out of weekly"
                               " sums, load and trends)")
        rows.append([f"{a.start_time:%Y-%m-%d}", name, f"{a.distance_m / 1000:.1f}", duration(a.moving_time_s),
                     shown_pace, form, STORED.get(outcome.stored or "", outcome.stored or "")])
    table = Table(title="Runs", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for i, header in enumerate(("date", "file", "km", "moving", "pace", "form", "stored")):
        widest = max([len(header)] + [len(row[i]) for row in rows])
        # every column keeps its width; only the file name gives way (with an ellipsis) on a narrow terminal
        table.add_column(header, justify="left" if i in (0, 1, 6) else "right", no_wrap=True,
                         min_width=None if i == 1 else widest, max_width=18 if i == 1 else None,
                         overflow="ellipsis")
    for row in rows:
        table.add_row(*row)
    if len(ordered) > most:
        table.caption = f"and {len(ordered) - most} earlier run(s)"
    app.out.print(table)
    for line in implausible:
        app.err.print(line, style="yellow", markup=False, highlight=False, soft_wrap=True)


def _summary(app: App, counts: Counter[str], n_inputs: int) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_row(f"{n_inputs} input(s)", f"[green]{counts[OK]} run(s) analysed[/]",
                  f"{counts[SKIPPED]} skipped", f"[red]{counts[ERROR]} failed[/]" if counts[ERROR] else "0 failed")
    app.err.print(table)
