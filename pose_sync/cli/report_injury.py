"""The injury-aware part of ``pose-sync report`` in the terminal: both ramps, pain against load, shoe plans."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from pose_sync.progression.injury import InjuryReport
from pose_sync.progression.injury_text import pain_cell, ramp_words, shoe_rows, tissue_cells, tissue_lines
from pose_sync.progression.text import WeekGap

TISSUE_HEADERS = ("week", "tissue load", "tissue ramp", "pain")


def print_injury(out: Console, injury: InjuryReport) -> None:
    out.print(ramp_words(injury), highlight=False)
    table = Table(title="Tissue load (easy-km equivalents: steps weighted by speed, minimalist shoes and drills"
                        " count more) and pain", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    for header in TISSUE_HEADERS:
        table.add_column(header, justify="left" if header in ("week", "pain") else "right",
                         no_wrap=header != "pain", min_width=9 if header == "week" else len(header))
    for week in tissue_lines(injury.tissue_weeks):
        if isinstance(week, WeekGap):
            table.add_row(f"[dim]{week.short()}[/]")
            continue
        table.add_row(*tissue_cells(week), pain_cell(injury, week.week))
    out.print(table)
    for plan in injury.transitions:
        shoes = Table(title=f"Minimalist plan: {plan.label} (Ridge et al. 2013; grows only while pain stays low)",
                      title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        for header in ("week", "plan week", "allowed", "run", "note"):
            shoes.add_column(header, justify="left" if header in ("week", "note") else "right",
                             no_wrap=header != "note", min_width=9 if header == "week" else None)
        for row in shoe_rows(plan):
            shoes.add_row(*row)
        out.print(shoes)
