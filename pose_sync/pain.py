"""The runner's pain, in their own words: report lines in descriptions, and ``pose-sync log pain``.

Runners already write how a run felt in the activity description; a line
there is the cheapest way to tell pose-sync about a niggle. The format
(prefixes configurable in ``[pain] prefixes``; any case)::

    pain: achilles 3            a body site, then a 0-10 score
    #niggle heel 4/10           "/10" is optional
    pain: left calf 2, heel 1   several sites on one line
    pain: achilles 1 morning    "morning" (or "next morning"): felt the morning after

A line starting with a prefix that does not read as ``site score`` is
ignored with a warning, never an error: a typo in a description must not
stop a sync. Reading never changes the description (pose-sync writes only
inside its own marked block, and our block is left out before reading, so
the note's own mention of pain is not read back as a new report).

Lines with ``[pain] drill_prefixes`` (``drills: 10``) report minutes of
forefoot-heavy drills done in that session; they count in the tissue load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pose_sync.notes.block import athlete_text

DURING, MORNING = "during", "morning"
_ENTRY = re.compile(
    r"^(?P<site>[^\W\d_][\w' -]*?)\s*[:=]?\s*(?P<score>\d+(?:[.,]\d+)?)\s*(?:/\s*10)?"
    r"(?:\s*\(?\s*(?P<morning>(?:next\s+)?morning)\s*\)?)?\s*[.!]?$",
    re.IGNORECASE)
_MINUTES = re.compile(r"^(?P<minutes>\d+(?:[.,]\d+)?)\s*(?:min(?:ute)?s?|')?\s*[.!]?$", re.IGNORECASE)


@dataclass(frozen=True)
class PainReport:
    """One body site's pain on one day. ``timing``: ``during`` (or after) a session, or the next ``morning``.

    ``day`` is the day it was felt. ``source`` is ``description`` (with the
    activity's ``platform``/``remote_id``) or ``log``; ``text`` is the line as written.
    """

    day: date
    site: str
    score: float
    timing: str = DURING
    source: str = "log"
    platform: str | None = None
    remote_id: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class DescriptionReports:
    """What one description told: pain reports, drill minutes, and lines that could not be read."""

    pain: tuple[PainReport, ...]
    drill_minutes: float | None
    warnings: tuple[str, ...]


def normalise_site(site: str) -> str:
    return " ".join(site.lower().replace("_", " ").split())


def _after_prefix(line: str, prefixes: Sequence[str]) -> str | None:
    stripped = line.strip()
    lowered = stripped.lower()
    for prefix in sorted(prefixes, key=len, reverse=True):
        p = prefix.lower()
        if lowered.startswith(p):
            rest = stripped[len(p):]
            if p[-1].isalnum() and rest and rest[0].isalnum():
                continue  # "#painful" is not "#pain"
            return rest.lstrip(" :=-\t")
    return None


def parse_entry(text: str) -> tuple[str, float, str] | None:
    """``achilles 3`` -> (site, score, timing); None when it does not read as a site and a 0-10 score."""
    match = _ENTRY.match(text.strip())
    if match is None:
        return None
    score = float(match.group("score").replace(",", "."))
    site = normalise_site(match.group("site"))
    if not 0 <= score <= 10 or not site:
        return None
    return site, score, MORNING if match.group("morning") else DURING


def parse_description(description: str | None, day: date, *, prefixes: Sequence[str],
                      drill_prefixes: Sequence[str] = (), platform: str | None = None,
                      remote_id: str | None = None) -> DescriptionReports:
    """Pain reports and drill minutes in a description (outside our block), with a warning per unreadable line."""
    reports: list[PainReport] = []
    warnings: list[str] = []
    drills: float | None = None
    where = f"{platform}:{remote_id}: " if platform else ""
    for line in athlete_text(description).splitlines():
        rest = _after_prefix(line, prefixes)
        if rest is not None:
            entries = [e for e in re.split(r"[,;]", rest) if e.strip()]
            parsed = [parse_entry(e) for e in entries]
            if not entries or any(p is None for p in parsed):
                warnings.append(f"{where}pain line {line.strip()!r} ignored: write it as e.g. "
                                f"'{prefixes[0]} achilles 3' (a body site and a score from 0 to 10)")
                continue
            for entry in parsed:
                assert entry is not None
                site, score, timing = entry
                reports.append(PainReport(day, site, score, timing, "description", platform, remote_id,
                                          line.strip()))
            continue
        rest = _after_prefix(line, drill_prefixes)
        if rest is not None:
            match = _MINUTES.match(rest.strip())
            if match is None:
                warnings.append(f"{where}drills line {line.strip()!r} ignored: write it as e.g. "
                                f"'{drill_prefixes[0]} 10' (minutes)")
                continue
            drills = (drills or 0.0) + float(match.group("minutes").replace(",", "."))
    return DescriptionReports(tuple(reports), drills, tuple(warnings))
