"""What a run can physically be: the limits beyond which a value is a glitch, not a measurement.

One glitched record must not become the run. A byte flipped in one distance
field turns the cumulative distance into 42,949,672.8 m and the average speed
into 143,644 m/s; a timestamp from the wrong century turns the elapsed time
into decades. Such values are *dropped*, never averaged in, and a warning
names the file and what was dropped. The limits are deliberately wide
(beyond any human performance, not beyond a typical run): they catch data
damage, not unusual running. The narrower ranges form analysis uses to skip
sensor noise (0 while standing, strap spikes) are in
:data:`pose_sync.analysis.segments.PLAUSIBLE`.

Limits and why:

* **speed** at most 12.5 m/s: the fastest human speed measured is Usain
  Bolt's 12.4 m/s over 60-80 m of the 2009 100 m world record (IAAF
  biomechanics report, Berlin 2009). Faster record speeds, and a session average
  above it, are GPS spikes or corrupted values.
* **cadence** at most 300 steps/min (both legs): elite sprinters at top speed
  take about 4.5-5 steps/s (Weyand et al. 2000, J Appl Physiol 89:1991); distance
  running is 150-200. A 255-per-leg glitch (510 spm) is data damage.
* **ground contact time** 50-2000 ms when not 0: sprinters at top speed touch
  the ground for about 80-90 ms (Weyand 2000), slow walking for about 700-900 ms;
  below 50 ms or above 2 s no foot is running or walking. (0 is a strap's "no
  reading" while standing; that is not a glitch and the averages leave it out.)
* **heart rate** 20-250 bpm: outside it no heart beats (the FIT invalid
  value is 255).
* **distance vs duration**: a cumulative distance may not jump more than
  12.5 m/s times the time between records plus 25 m (GPS re-acquiring a fix after
  a tunnel); such a jump, or a fall, is dropped and the distance is the sum of
  the plausible increments. A session total beyond 12.5 m/s over the session's
  elapsed time (plus the same slack) is dropped in favour of the records.
* **elapsed time** at most 7 days: the longest non-stop foot races (the
  Spine Race, 268 miles) have a 7-day cut-off, and no watch records longer
  in one activity. A longer session time is damage, and so is a session
  elapsed time shorter than its own records cover.
* **time between records** at most 1 day: records more than a day away from
  the rest of the session (a glitched timestamp decades off) are dropped, the
  largest group of records is the run; when the session's start time is more
  than a day before that group, the run starts at its first record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pose_sync.model import DeviceSummary, Samples

MAX_SPEED_MPS = 12.5
MAX_CADENCE_SPM = 300.0
STANCE_TIME_MS = (50.0, 2000.0)
HEART_RATE_BPM = (20.0, 250.0)
DISTANCE_SLACK_M = 25.0
MAX_ELAPSED_S = 7 * 24 * 3600.0
MAX_RECORD_GAP_S = 24 * 3600.0

# Per-record channels and their limits (values outside are set to NaN). Ground contact is 0 while a
# strap has no reading: that is not a glitch (the averages leave zeros out), so only values > 0 are judged.
RECORD_LIMITS: dict[str, tuple[float, float]] = {
    "speed_mps": (0.0, MAX_SPEED_MPS),
    "cadence_spm": (0.0, MAX_CADENCE_SPM),
    "stance_time_ms": STANCE_TIME_MS,
    "heart_rate_bpm": HEART_RATE_BPM,
}
WHAT = {"speed_mps": ("speed", "m/s"), "cadence_spm": ("cadence", "spm"),
        "stance_time_ms": ("ground contact", "ms"), "heart_rate_bpm": ("heart rate", "bpm")}


@dataclass(frozen=True)
class Screened:
    """An activity's samples and device summary with the implausible values dropped, and what was dropped."""

    samples: Samples
    summary: DeviceSummary | None
    warnings: tuple[str, ...]
    start_shift_s: float = 0.0   # the run starts this much after the session's start time (a glitched start)


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 1e15 else f"{value:.3g}"


def screen_channel(values: np.ndarray, name: str) -> tuple[np.ndarray, int, float | None]:
    """``values`` with the ones beyond the channel's limits set to NaN: (values, how many, the worst)."""
    low, high = RECORD_LIMITS[name]
    judged = values > 0 if name == "stance_time_ms" else np.isfinite(values)
    with np.errstate(invalid="ignore"):
        bad = judged & ((values < low) | (values > high))
    if not bad.any():
        return values, 0, None
    worst = values[bad][np.argmax(np.abs(values[bad] - (low + high) / 2))]
    return np.where(bad, np.nan, values), int(bad.sum()), float(worst)


def _jumps(elapsed_s: np.ndarray, distance_m: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The steps between consecutive records with a distance, and which of them are implausible."""
    steps = np.diff(distance_m[rows])
    allowed = MAX_SPEED_MPS * np.maximum(np.diff(elapsed_s[rows]), 0.0) + DISTANCE_SLACK_M
    return steps, (steps > allowed) | (steps < -DISTANCE_SLACK_M)


def screen_distance(elapsed_s: np.ndarray, distance_m: np.ndarray) -> tuple[np.ndarray, int, float | None]:
    """A cumulative distance with its implausible jumps dropped: (distance, records or jumps dropped, the largest).

    Between two records the distance may grow by at most :data:`MAX_SPEED_MPS`
    times the time between them plus :data:`DISTANCE_SLACK_M`, and may not fall
    by more than the slack. A record that jumps out and back (a glitch: the
    steps into and out of it are both implausible, the step across it is not),
    or a first or last record that jumps, is dropped (NaN). Any implausible
    step left (a counter that restarts or leaps and carries on from there) is
    dropped from the sum: the distance is rebuilt from the plausible steps,
    anchored where most records agree (the median offset).
    """
    rows = np.flatnonzero(np.isfinite(distance_m))
    if len(rows) < 2:
        return distance_m, 0, None
    steps, bad = _jumps(elapsed_s, distance_m, rows)
    if not bad.any():
        return distance_m, 0, None
    worst = float(steps[bad][np.argmax(np.abs(steps[bad]))])
    out = distance_m.copy()
    dropped = 0
    for _ in range(3):  # a few passes: two glitches side by side resolve one at a time
        glitched = np.zeros(len(rows), dtype=bool)
        if len(rows) > 2:
            across = out[rows[2:]] - out[rows[:-2]]
            allowed = MAX_SPEED_MPS * (elapsed_s[rows[2:]] - elapsed_s[rows[:-2]]) + DISTANCE_SLACK_M
            glitched[1:-1] = bad[:-1] & bad[1:] & (across <= allowed) & (across >= -DISTANCE_SLACK_M)
        glitched[0] = bad[0] and (len(bad) < 2 or not bad[1])
        glitched[-1] = glitched[-1] or (bad[-1] and (len(bad) < 2 or not bad[-2]))
        if not glitched.any():
            break
        out[rows[glitched]] = np.nan
        dropped += int(glitched.sum())
        rows = rows[~glitched]
        if len(rows) < 2:
            return out, dropped, worst
        steps, bad = _jumps(elapsed_s, out, rows)
        if not bad.any():
            return out, dropped, worst
    covered = np.concatenate(([0.0], np.cumsum(np.where(bad, 0.0, steps))))
    out[rows] = float(np.median(out[rows] - covered)) + covered
    return out, dropped + int(bad.sum()), worst


def screen_summary(summary: DeviceSummary | None, span_s: float, label: str) -> tuple[DeviceSummary | None, list[str]]:
    """The device's session values with the implausible ones dropped (None), and a warning for each."""
    if summary is None:
        return None, []
    warnings: list[str] = []
    changes: dict[str, None] = {}

    def drop(name: str, what: str) -> None:
        changes[name] = None
        warnings.append(f"{label}: the device's session {what} is implausible and was dropped")

    for name, what in (("total_elapsed_time_s", "elapsed time"), ("total_timer_time_s", "timer time")):
        value = getattr(summary, name)
        if value is not None and not 0.0 <= value <= MAX_ELAPSED_S:
            drop(name, f"{what} ({_fmt(value)} s, more than 7 days)")
    elapsed = summary.total_elapsed_time_s if "total_elapsed_time_s" not in changes else None
    if elapsed is not None and elapsed < span_s - max(60.0, 0.1 * span_s):
        drop("total_elapsed_time_s", f"elapsed time ({_fmt(elapsed)} s, shorter than its records' {_fmt(span_s)} s)")
        elapsed = None
    duration = max(elapsed or 0.0, span_s)
    distance = summary.total_distance_m
    if distance is not None and not 0.0 <= distance <= MAX_SPEED_MPS * duration + DISTANCE_SLACK_M:
        drop("total_distance_m", f"distance ({_fmt(distance)} m in {_fmt(duration)} s)")
    for name, what, low, high, unit in (
            ("avg_speed_mps", "average speed", 0.0, MAX_SPEED_MPS, "m/s"),
            ("avg_cadence_spm", "average cadence", 0.0, MAX_CADENCE_SPM, "spm"),
            ("avg_stance_time_ms", "average ground contact", 0.0, STANCE_TIME_MS[1], "ms"),
            ("avg_heart_rate_bpm", "average heart rate", *HEART_RATE_BPM, "bpm")):
        value = getattr(summary, name)
        if value is not None and not low <= value <= high:
            drop(name, f"{what} ({_fmt(value)} {unit})")
    return (replace(summary, **changes) if changes else summary), warnings


def main_time_group(elapsed_s: np.ndarray) -> np.ndarray | None:
    """Which records belong to the largest group not split by a gap of more than a day (None: all do)."""
    gaps = np.diff(elapsed_s) > MAX_RECORD_GAP_S
    if not gaps.any():
        return None
    group = np.concatenate(([0], np.cumsum(gaps)))
    return group == int(np.argmax(np.bincount(group)))


def screen(samples: Samples, summary: DeviceSummary | None, label: str) -> Screened:
    """Drop what no run can be from an activity's samples and device summary, saying what went.

    A file without glitches comes back unchanged (the same arrays).
    """
    warnings: list[str] = []
    shift = 0.0
    keep = main_time_group(samples.elapsed_s)
    if keep is not None:
        away = samples.elapsed_s[~keep]
        kept = samples.elapsed_s[keep]
        far = float(np.max(np.maximum(kept[0] - away, away - kept[-1])))
        warnings.append(f"{label}: dropped {int((~keep).sum())} record(s) timed more than a day away from the"
                        f" rest (up to {far / 86400:,.0f} days)")
        shift = float(kept[0]) if kept[0] > MAX_RECORD_GAP_S else 0.0
        if shift:
            warnings.append(f"{label}: the recorded start is {shift / 86400:,.0f} days before the records;"
                            " the run starts at its first plausible record")
        samples = Samples(kept - shift, {k: v[keep] for k, v in samples.channels.items()}, dict(samples.units))
    channels = dict(samples.channels)
    for name in RECORD_LIMITS:
        if name in channels:
            channels[name], count, worst = screen_channel(channels[name], name)
            if count and worst is not None:
                what, unit = WHAT[name]
                warnings.append(f"{label}: dropped {count} implausible {what} record(s) (e.g. {_fmt(worst)} {unit})")
    if "distance_m" in channels:
        channels["distance_m"], count, worst = screen_distance(samples.elapsed_s, channels["distance_m"])
        if count and worst is not None:
            warnings.append(f"{label}: dropped {count} implausible distance record(s) or jump(s) "
                            f"(e.g. {_fmt(worst)} m between records); distance is the sum of the plausible steps")
    span = float(samples.elapsed_s[-1] - samples.elapsed_s[0]) if len(samples) else 0.0
    summary, dropped = screen_summary(summary, span, label)
    warnings += dropped
    if not warnings:
        return Screened(samples, summary, ())
    return Screened(Samples(samples.elapsed_s, channels, dict(samples.units)), summary, tuple(warnings), shift)
