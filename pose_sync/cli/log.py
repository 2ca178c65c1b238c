"""``pose-sync log pain``: tell pose-sync about a niggle, per body site, 0-10."""

from __future__ import annotations

from datetime import date, datetime

import click

from pose_sync.cli.app import App
from pose_sync.errors import UsageError
from pose_sync.pain import DURING, MORNING, PainReport, normalise_site


@click.group("log")
def command() -> None:
    """Record how your body feels: pain per body site, which the plan follows."""


@command.command("pain")
@click.argument("site")
@click.argument("score", type=click.FloatRange(0, 10))
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="The day you felt it (default: today).")
@click.option("--next-morning", is_flag=True,
              help="A reading on the morning after a session (did it settle?), not during or after one.")
@click.pass_obj
def pain(app: App, site: str, score: float, on: datetime | None, next_morning: bool) -> None:
    """Pain at SITE (achilles, heel, "left calf", ...) as SCORE from 0 (none) to 10 (worst).

    \b
    The plan follows the pain-monitoring model of tendon rehabilitation
    (Silbernagel et al. 2007): up to 5/10 during a session is acceptable
    if it has settled by the next morning and does not rise week to week;
    otherwise intervals and drills become easy running and the tissue load
    is held or cut. Logging the same site, day and timing again replaces it.
    The same works from an activity description: a line "pain: achilles 3"
    or "#niggle heel 4/10" (see [pain] in config.example.toml).

    \b
    Examples:
      pose-sync log pain achilles 3
      pose-sync log pain achilles 1 --next-morning
      pose-sync log pain "left calf" 4 --date 2026-10-06
    """
    name = normalise_site(site)
    if not name or not name[0].isalpha():
        raise UsageError(f"body site {site!r} is not a name: give it as a word, e.g. achilles or \"left calf\"")
    day = on.date() if on else date.today()
    report = PainReport(day, name, float(score), MORNING if next_morning else DURING, "log",
                        text=f"{name} {score:g}")
    app.store.add_pain(report)
    when = "the morning of " if next_morning else ""
    app.out.print(f"logged {name} {score:g}/10 on {when}{day:%a %d %b %Y}", highlight=False)
