"""Run mutants through the real CLI, in this process, and say what became of each.

Each mutant is written to a file and analysed with ``pose-sync analyze --json
FILE`` exactly as a user runs it (:func:`pose_sync.cli.main`, stdout and stderr
captured, the CLI's own logging set up afresh), then classified:

========================  ==========================================================
``ok``                    exit 0, every line valid JSON, every value plausible
``clean_error``           exit 1 with one-line error outcomes (a damaged file said so)
``traceback``             a Python traceback reached the user (without ``--debug``)
``unexpected``            the CLI's last line of defence caught something ("unexpected ...")
``hang``                  no answer within the time limit
``memory``                one mutant raised the process's peak memory by more than the limit, or ran out
``implausible``           exit 0 but a value beyond :mod:`pose_sync.analysis.plausibility`
``invalid_json``          a line of ``--json`` output that is not a JSON object
``disagree``              the fast and reference decoders both accepted it and differ
``fast_bug``              the fast decoder failed other than by declining
========================  ==========================================================

Only ``ok`` and ``clean_error`` are acceptable.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import resource
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fuzz.mutate import Mutant
from pose_sync.analysis import plausibility as limits

ACCEPTABLE = ("ok", "clean_error")
OUTCOMES = ("ok", "clean_error", "traceback", "unexpected", "hang", "memory", "implausible", "invalid_json",
            "disagree", "fast_bug")
TIMEOUT_S = 30.0
DROPPED = "implausible values dropped, with a warning"
MEMORY_LIMIT_MB = 512.0   # growth of peak RSS during one mutant (a real file decodes in ~100 MB all told)


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in the code under test eats it."""


@dataclass(frozen=True)
class Result:
    seed: int
    sample: str
    kind: str
    what: str
    outcome: str
    detail: str
    seconds: float
    peak_rss_mb: float
    decode_s: tuple[float, float] | None = None   # (fast, reference) when the fast path accepted the mutant

    @property
    def failed(self) -> bool:
        return self.outcome not in ACCEPTABLE


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise _Timeout()

    try:
        previous = signal.signal(signal.SIGALRM, alarm)
    except ValueError:  # not the main thread: no alarm available, run without a limit
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def analyze_in_process(path: Path, env: dict[str, str], options: tuple[str, ...] = ()) -> tuple[int, str, str]:
    """``pose-sync [OPTIONS] analyze --json PATH`` in this process: (exit code, stdout, stderr)."""
    from pose_sync.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (*env, "POSE_SYNC_DEBUG")}
    os.environ.update(env)
    os.environ.pop("POSE_SYNC_DEBUG", None)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()  # the CLI's logging.basicConfig then writes to the captured stderr, as for a user
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([*options, "analyze", "--json", str(path)])
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue(), err.getvalue()


def implausible(record: dict[str, Any]) -> str | None:
    """The first value of an ``analyze --json`` record beyond the plausibility limits, if any."""
    if record.get("status") != "ok":
        return None

    def num(value: Any) -> float | None:
        return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None

    elapsed, moving = num(record.get("elapsed_time_s")), num(record.get("moving_time_s"))
    distance = num(record.get("distance_m"))
    checks: list[tuple[str, float | None, float, float]] = [
        ("elapsed_time_s", elapsed, 0.0, limits.MAX_ELAPSED_S),
        ("moving_time_s", moving, 0.0, limits.MAX_ELAPSED_S),
        ("distance_m", distance, 0.0,
         limits.MAX_SPEED_MPS * max(elapsed or 0.0, moving or 0.0) + limits.DISTANCE_SLACK_M),
    ]
    averages = record.get("averages") or {}
    checks += [
        ("averages.speed_mps", num(averages.get("speed_mps")), 0.0, limits.MAX_SPEED_MPS),
        ("averages.cadence_spm", num(averages.get("cadence_spm")), 0.0, limits.MAX_CADENCE_SPM),
        ("averages.stance_time_ms", num(averages.get("stance_time_ms")), *limits.STANCE_TIME_MS),
        ("averages.heart_rate_bpm", num(averages.get("heart_rate_bpm")), *limits.HEART_RATE_BPM),
    ]
    device = record.get("device_averages") or {}
    d_elapsed = num(device.get("total_elapsed_time_s"))
    d_timer = num(device.get("total_timer_time_s"))
    checks += [
        ("device.total_elapsed_time_s", d_elapsed, 0.0, limits.MAX_ELAPSED_S),
        ("device.total_timer_time_s", d_timer, 0.0, limits.MAX_ELAPSED_S),
        ("device.total_distance_m", num(device.get("total_distance_m")), 0.0,
         limits.MAX_SPEED_MPS * max(d_elapsed or 0.0, d_timer or 0.0, elapsed or 0.0) + limits.DISTANCE_SLACK_M),
        ("device.avg_speed_mps", num(device.get("avg_speed_mps")), 0.0, limits.MAX_SPEED_MPS),
        ("device.avg_cadence_spm", num(device.get("avg_cadence_spm")), 0.0, limits.MAX_CADENCE_SPM),
        ("device.avg_stance_time_ms", num(device.get("avg_stance_time_ms")), 0.0, limits.STANCE_TIME_MS[1]),
        ("device.avg_heart_rate_bpm", num(device.get("avg_heart_rate_bpm")), *limits.HEART_RATE_BPM),
    ]
    for name, value, low, high in checks:
        if value is not None and not low <= value <= high:
            return f"{name} = {value:,.1f} (plausible {low:,.0f}..{high:,.0f})"
    if moving is not None and elapsed is not None and moving > elapsed * 1.05 + 60:
        return f"moving time {moving:,.0f} s exceeds elapsed time {elapsed:,.0f} s"
    return None


def classify(code: int, out: str, err: str) -> tuple[str, str]:
    """What an ``analyze --json`` run amounted to, and the line that shows it."""
    text = out + err
    if "Traceback (most recent call last)" in text:
        return "traceback", next(line for line in err.splitlines()[::-1] if line.strip()) if err.strip() else ""
    if "MemoryError" in text:
        return "memory", "MemoryError"
    records = []
    for line in out.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return "invalid_json", line[:200]
        if not isinstance(record, dict):
            return "invalid_json", line[:200]
        records.append(record)
    for record in records:
        if "unexpected " in (record.get("reason") or ""):
            return "unexpected", record["reason"]
    for line in err.splitlines():
        if line.startswith("error: unexpected"):
            return "unexpected", line
    if code not in (0, 1):
        return "unexpected", f"exit code {code}: {err.strip()[-200:]}"
    if not records:
        return "invalid_json", "no JSON line for the input"
    for record in records:
        bad = implausible(record)
        if bad:
            return "implausible", bad
    errors = [r for r in records if r.get("status") == "error"]
    if code == 1 or errors:
        reasons = [r.get("reason") or "" for r in errors]
        if code != 1 or not errors or any(not reason or "\n" in reason for reason in reasons):
            return "unexpected", f"exit {code} with error outcomes {reasons!r}"
        return "clean_error", reasons[0]
    dropped = any("implausible" in w or "timed more than a day" in w for r in records for w in r.get("warnings") or [])
    return "ok", DROPPED if dropped else ""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)


def differential(data: bytes, timings: list[tuple[float, float]] | None = None) -> tuple[str, str] | None:
    """Compare the fast and reference decoders on ``data``: None when they agree or one declines.

    ``timings`` gets (fast, reference) decode seconds of a mutant the fast path accepted.
    """
    from pose_sync.fit.fast import FastPathUnsupported, decode_fast
    from pose_sync.fit.reference import decode_reference

    started = time.perf_counter()
    try:
        fast = decode_fast(data)
    except FastPathUnsupported:
        return None
    except _Timeout:
        raise
    except Exception as exc:  # the fast path must decline, never fail
        return "fast_bug", f"{type(exc).__name__}: {exc}"
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    reference = decode_reference(data)
    if timings is not None:
        timings.append((fast_s, time.perf_counter() - started))
    if reference.error:
        return "disagree", f"the fast path read a file the reference rejects ({reference.error})"
    if fast.records.keys() != reference.records.keys():
        return "disagree", f"record fields {sorted(fast.records.keys() ^ reference.records.keys())}"
    for name, values in reference.records.items():
        if not np.array_equal(values, fast.records[name], equal_nan=True):
            return "disagree", f"record field {name}"
    for what in ("messages", "record_units", "relative_time"):
        if not _same(getattr(fast, what), getattr(reference, what)):
            return "disagree", what
    return None


def run_mutant(mutant: Mutant, folder: Path, env: dict[str, str], timeout_s: float = TIMEOUT_S,
               memory_limit_mb: float = MEMORY_LIMIT_MB, check_decoders: bool = True) -> Result:
    """Analyse one mutant through the CLI (and compare the decoders on it); classify the outcome."""
    path = folder / mutant.name
    path.write_bytes(mutant.data)
    peak_before = peak_rss_mb()   # growth, not the level: in a long pytest process other tests set the level
    started = time.perf_counter()
    timings: list[tuple[float, float]] = []
    try:
        with _time_limit(timeout_s):
            code, out, err = analyze_in_process(path, env)
            outcome, detail = classify(code, out, err)
            if outcome in ACCEPTABLE and check_decoders:
                found = differential(mutant.data, timings)
                if found:
                    outcome, detail = found
    except _Timeout:
        outcome, detail = "hang", f"no answer within {timeout_s:.0f} s"
    except MemoryError:
        outcome, detail = "memory", "MemoryError"
    except Exception as exc:  # escaped the CLI, or a decoder called directly by the differential check
        outcome, detail = "unexpected", f"{type(exc).__name__}: {exc}"
    finally:
        path.unlink(missing_ok=True)
    peak = peak_rss_mb()
    if peak - peak_before > memory_limit_mb and outcome != "hang":
        outcome, detail = "memory", f"peak RSS grew {peak - peak_before:.0f} MB (limit {memory_limit_mb:.0f} MB)"
    return Result(mutant.seed, mutant.sample, mutant.kind, mutant.what, outcome, detail,
                  time.perf_counter() - started, peak, timings[0] if timings else None)


@contextlib.contextmanager
def workspace() -> Iterator[tuple[Path, dict[str, str]]]:
    """A throwaway folder for mutant files and the CLI's data folder and (empty) config."""
    with tempfile.TemporaryDirectory(prefix="pose-sync-fuzz-") as name:
        root = Path(name)
        (root / "config.toml").write_text("", encoding="utf-8")
        (root / "mutants").mkdir()
        yield root / "mutants", {"POSE_SYNC_HOME": str(root / "data"), "POSE_SYNC_CONFIG": str(root / "config.toml")}
