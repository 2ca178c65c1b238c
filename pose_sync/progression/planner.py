"""The next sessions: the program week's sessions on the athlete's run days, adapted to the ramp.

On a danger ramp there are no intervals (the sessions named in the program's
rules become drills plus a short easy run; drills stay, they are low load);
on a caution ramp runs are shortened and repetitions cut; back after a break
(or still on one) there are no hard sessions and easy runs are shorter until a
new baseline is built. While the history is still building, the program's
own progression applies as written. Every adaptation is
explained in the plan's notes, so the athlete knows why the watch shows less
than the program said.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.progression.body import BodyContext
from pose_sync.progression.intensity import EASY_SHARE_OF_MAX_HR
from pose_sync.progression.load import RampState, load_history, ramp_state
from pose_sync.progression.pain_monitor import CUT, PainVerdict, assess
from pose_sync.progression.program import Program, Session, builtin_program, program_week
from pose_sync.progression.tissue import binding_note, stricter, tissue_history, tissue_ramp_state
from pose_sync.progression.transition import ShoeTransition, next_allowance, transitions
from pose_sync.workouts.model import Duration, DurationKind, Repeat, Step, StepKind, Target, TargetKind, Workout

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DANGER_DRILLS = ("pony", "change_of_support", "heel_drops")
LABELS = {"drills_easy": "drills + easy", "strides": "strides", "intervals": "intervals", "tempo": "tempo",
          "long": "long easy", "form_test": "form test"}


@dataclass(frozen=True)
class Plan:
    """The sessions and why they are what they are.

    ``ramp`` is the stricter of ``heart_ramp`` and ``tissue_ramp`` (its
    ``load`` says which bound); ``pain`` is the pain-monitoring verdict.
    """

    start_date: date
    ramp: RampState | None
    workouts: tuple[Workout, ...]
    notes: tuple[str, ...]
    heart_ramp: RampState | None = None
    tissue_ramp: RampState | None = None
    pain: PainVerdict | None = None
    transitions: tuple[ShoeTransition, ...] = ()


@dataclass(frozen=True)
class _Paces:
    threshold_mps: float
    steady_mps: float
    easy_max_hr: float | None


def _paces(runs: Sequence[RunAnalysis], config: Config, threshold_mps: float, today: date) -> _Paces:
    recent = [r.extras["steady_speed_mps"] for r in runs
              if r.extras.get("steady_speed_mps") and (today - r.start_time.date()).days <= 42]
    steady = statistics.median(recent) if recent else 0.8 * threshold_mps
    easy_hr = config.zones.easy_max_heart_rate_bpm or (
        EASY_SHARE_OF_MAX_HR * config.athlete.max_heart_rate_bpm if config.athlete.max_heart_rate_bpm else None)
    return _Paces(threshold_mps, steady, easy_hr)


def _minutes(value: float) -> Duration:
    return Duration(DurationKind.TIME, float(round(value) * 60))


def _speed(fractions: tuple[float, float], base: float) -> Target:
    return Target(TargetKind.SPEED, round(fractions[0] * base, 3), round(fractions[1] * base, 3))


def _easy(program: Program, paces: _Paces) -> Target:
    if paces.easy_max_hr:
        return Target(TargetKind.HEART_RATE, round(paces.easy_max_hr - 15), round(paces.easy_max_hr))
    return _speed(program.targets.easy_speed, paces.threshold_mps)


def _steps(session: Session, program: Program, paces: _Paces) -> tuple[Step | Repeat, ...]:
    easy = _easy(program, paces)
    drills = tuple(Step(StepKind.DRILL, _minutes(program.drills[d].minutes), name=program.drills[d].name,
                        notes=program.drills[d].how) for d in session.drills)
    warmup = Step(StepKind.WARMUP, _minutes(15 if session.kind in ("intervals", "tempo") else 10), easy)
    cooldown = Step(StepKind.COOLDOWN, _minutes(10 if session.kind in ("intervals", "tempo") else 5), easy)
    if session.kind == "long":
        return (Step(StepKind.ACTIVE, _minutes(session.easy_minutes or 0), easy, name="Easy, relaxed, quick feet"),)
    if session.kind == "drills_easy":
        return (warmup, *drills, Step(StepKind.ACTIVE, _minutes(session.easy_minutes or 0), easy, name="Easy"),
                cooldown)
    if session.kind == "form_test":
        steady = _speed(program.targets.steady_speed, paces.steady_mps)
        return (warmup, Step(StepKind.ACTIVE, _minutes(session.steady_minutes or 0), steady, name="Form test",
                             notes="Flat route, your usual steady pace: the run the program compares against."),
                cooldown)
    reps = session.repetitions or 1
    recovery = Step(StepKind.RECOVERY, Duration(DurationKind.TIME, float(session.recovery_seconds or 60)), easy)
    if session.kind == "strides":
        cadence = Target(TargetKind.CADENCE, *program.targets.stride_cadence)
        stride = Step(StepKind.ACTIVE, Duration(DurationKind.TIME, float(session.work_seconds or 20)), cadence,
                      name="Stride", notes="Relaxed and quick: lean, pull, let the cadence rise.")
        return (warmup, Step(StepKind.ACTIVE, _minutes(session.easy_minutes or 0), easy, name="Easy"),
                Repeat(reps, (stride, recovery)),
                cooldown)
    fractions = getattr(program.targets, f"{session.target}_speed")
    if session.kind == "intervals":
        work = Step(StepKind.ACTIVE, Duration(DurationKind.DISTANCE, float(session.work_meters or 0)),
                    _speed(fractions, paces.threshold_mps), name=f"{session.work_meters:.0f} m")
    else:
        work = Step(StepKind.ACTIVE, _minutes(session.work_minutes or 0), _speed(fractions, paces.threshold_mps),
                    name=f"{session.work_minutes:.0f} min tempo")
    return (warmup, *drills, Repeat(reps, (work, recovery)), cooldown)


def _adapt(session: Session, ramp: RampState | None, program: Program) -> tuple[Session, str | None]:
    rules = program.rules
    if ramp is None or ramp.level in ("safe", "building"):
        return session, None
    if ramp.level in ("returning", "break"):
        # Back after a break: no hard sessions until a new baseline is built; shorter easy running.
        if session.kind in rules.danger_replace:
            easy = round((session.easy_minutes or 30) * rules.caution_duration_factor)
            return (session.model_copy(update=dict(kind="drills_easy", easy_minutes=easy,
                            drills=session.drills or DEFAULT_DANGER_DRILLS, repetitions=None, target=None)),
                    f"{LABELS[session.kind]} replaced by drills + {easy} min easy: {ramp.reason}")
        if session.easy_minutes:
            easy = round(session.easy_minutes * rules.caution_duration_factor)
            return (session.model_copy(update={"easy_minutes": easy}),
                    f"{LABELS[session.kind]} shortened to {easy} min: {ramp.reason}")
        return session, None
    if ramp.level == "danger":
        if session.kind in rules.danger_replace:
            easy = round((session.easy_minutes or 30) * rules.danger_duration_factor)
            return (session.model_copy(update=dict(kind="drills_easy", easy_minutes=easy,
                            drills=session.drills or DEFAULT_DANGER_DRILLS, repetitions=None, target=None)),
                    f"{LABELS[session.kind]} replaced by drills + {easy} min easy: {ramp.label} {ramp.acwr:.2f} is"
                    f" above the danger line ({ramp.danger:.2f})")
        if session.easy_minutes:
            easy = round(session.easy_minutes * rules.danger_duration_factor)
            return (session.model_copy(update={"easy_minutes": easy}),
                    f"{LABELS[session.kind]} shortened to {easy} min (danger {ramp.label})")
        return session, None
    # caution
    if session.repetitions and session.kind in ("intervals", "tempo", "strides"):
        reps = max(1, round(session.repetitions * rules.caution_repetition_factor))
        return session.model_copy(update=dict(repetitions=reps)), \
            f"{LABELS[session.kind]}: {reps} instead of {session.repetitions} repetitions (caution {ramp.label})"
    if session.easy_minutes:
        easy = round(session.easy_minutes * rules.caution_duration_factor)
        return (session.model_copy(update={"easy_minutes": easy}),
                f"{LABELS[session.kind]} shortened to {easy} min (caution {ramp.label})")
    return session, None


HARD = ("intervals", "tempo", "strides", "form_test")


def _pain_adapt(session: Session, pain: PainVerdict | None, program: Program) -> tuple[Session, str | None]:
    """Pain outside the pain-monitoring model: easy running instead of hard sessions and drills; cut: shorter."""
    if pain is None or not pain.restricts:
        return session, None
    factor = program.rules.caution_duration_factor if pain.level == CUT else 1.0
    base = session.easy_minutes or session.steady_minutes or 30
    easy = round(base * factor)
    if session.kind in HARD or session.drills:
        what = LABELS[session.kind] + (" with drills" if session.drills and session.kind != "drills_easy" else "")
        replaced = session.model_copy(update=dict(kind="drills_easy", easy_minutes=easy, drills=(),
                                                  repetitions=None, target=None))
        return replaced, f"{what} replaced by {easy} min easy running: {pain.summary()}"
    if factor < 1.0 and session.easy_minutes:
        return session.model_copy(update={"easy_minutes": easy}), \
            f"{LABELS[session.kind]} shortened to {easy} min: {pain.summary()}"
    return session, None


MIN_MINIMALIST_EASY_MIN = 8      # a minimalist run shorter than this is not worth the change of shoes
SHOE_SESSIONS = ("drills_easy",)   # short easy running: what a transition plan puts in new shoes


class _ShoePlanner:
    """Puts each minimalist shoe's remaining allowance into the proposed sessions, shortest sessions first."""

    def __init__(self, plans: Sequence[ShoeTransition], pain: PainVerdict | None, body: BodyContext,
                 config: Config, speed_mps: float) -> None:
        self.plans, self.pain, self.body, self.config, self.speed = plans, pain, body, config, speed_mps
        self.used: dict[tuple[str, date], tuple[int, float]] = {}

    def assign(self, day: date, session: Session) -> tuple[Session, str | None, str | None]:
        """(session, shoe name, why): the session in a minimalist shoe when the allowance has room for it."""
        if session.kind not in SHOE_SESSIONS or not session.easy_minutes:
            return session, None, None
        if self.pain is not None and self.pain.level == "cut":
            return session, None, None        # pain above the model's line: usual shoes until it settles
        for shoe in self.plans:
            runs_left, km_left, held = next_allowance(shoe, self.body.pain, self.config, day)
            monday = day - timedelta(days=day.weekday())
            runs_used, km_used = self.used.get((shoe.gear_id, monday), (0, 0.0))
            km_left -= km_used
            if runs_left is not None:
                runs_left -= runs_used
                if runs_left <= 0:
                    continue
            km_per_min = self.speed * 60 / 1000
            # the easy part in the new shoes; warm-up, drills and cool-down in the usual ones
            easy = min(round(session.easy_minutes), int(km_left / km_per_min))
            if easy < MIN_MINIMALIST_EASY_MIN:
                continue
            km = round(easy * km_per_min, 1)
            self.used[(shoe.gear_id, monday)] = (runs_used + 1, km_used + km)
            changed = session.model_copy(update={"easy_minutes": easy}) if easy < session.easy_minutes else session
            why = (f"the easy {easy} min in {shoe.label} (minimalist plan week {shoe.current.step}"
                   f"{', ' + held if held else ''}: about {km:.1f} km"
                   + (", shortened to fit" if changed is not session else "") + "; warm-up, drills and cool-down"
                   " in your usual shoes)")
            return changed, shoe.label, why
        return session, None, None


def plan(runs: Sequence[RunAnalysis], config: Config, today: date, *, days: int = 7,
         program: Program | None = None, body: BodyContext | None = None) -> Plan:
    """Sessions for the ``days`` after ``today``, from the program, the stricter ramp and pain on ``today``.

    ``body`` (the shoe of each run, pain reports, drill minutes) makes the
    tissue ramp and the pain model count; without it they see no shoes and no pain.
    """
    body = body or BodyContext()
    program = program or builtin_program()
    notes: list[str] = []
    start = config.program.start_date
    if start is None:
        start = today + timedelta(days=7 - today.weekday())
        notes.append(f"program.start_date is not set: planned as if the program starts on {start}"
                     " (set it in [program] of your config)")
    past = [r for r in runs if r.start_time.date() <= today]
    history = load_history(past, config, until=today)
    heart = tissue = None
    today_load = history.on(today)
    if today_load is not None:
        heart = ramp_state(today_load, config)
    tissue_days = tissue_history(past, config, until=today, gear=body.gear, gear_names=body.gear_names,
                                 drills=body.drills)
    tissue_today = tissue_days.on(today)
    if tissue_today is not None:
        tissue = tissue_ramp_state(tissue_today, config)
    ramp = stricter(heart, tissue)
    if ramp is not None and ramp.level == "building":
        notes.append(f"{ramp.reason}; sessions as planned")
    bound = binding_note(heart, tissue)
    if bound:
        notes.append(bound)
    pain = assess(body.pain, today, config) if body.pain else None
    if pain is not None and pain.reasons and not pain.restricts:
        notes.append(f"pain: {pain.summary()}; sessions as planned")
    shoe_plans = tuple(transitions([(r, body.gear_of(r)) for r in past], body.gear_names, body.pain, config, today))
    for shoe in shoe_plans:
        if shoe.current.exceeded:
            notes.append(f"minimalist shoe {shoe.label}: {shoe.current.why}")
    paces = _paces(past, config, history.threshold_mps, today)
    shoes = _ShoePlanner(shoe_plans, pain, body, config, paces.steady_mps)
    if config.athlete.threshold_pace_s_per_km is None:
        notes.append("threshold pace estimated from your fastest steady running; set athlete.threshold_pace_s_per_km"
                     " for exact targets")
    run_days: list[str] = sorted(set(config.program.run_days), key=WEEKDAYS.index)
    workouts: list[Workout] = []
    for offset in range(1, days + 1):
        day = today + timedelta(days=offset)
        week = program_week(start, day)
        if not 1 <= week <= program.program.weeks or WEEKDAYS[day.weekday()] not in run_days:
            continue
        slot = run_days.index(WEEKDAYS[day.weekday()]) + 1
        session = next((s for s in program.week_of(week).sessions if s.slot == slot), None)
        if session is None:
            continue
        session, why = _adapt(session, ramp, program)
        session, hurt = _pain_adapt(session, pain, program)
        session, shoe_name, in_shoe = shoes.assign(day, session)
        why = "; ".join(w for w in (why, hurt, in_shoe) if w) or None
        if why:
            notes.append(f"{day}: {why}")
        phase = program.phase_of(week)
        workouts.append(Workout(
            key=f"pose12-{day.isoformat()}-{session.kind}",
            name=f"Pose W{week} {'easy (pain)' if hurt else LABELS[session.kind]}",
            scheduled_date=day,
            steps=_steps(session, program, paces),
            description=f"{phase.name}: {phase.focus}" + (f" ({why})" if why else ""),
            program_week=week,
            tags=(session.kind,),
            shoe=shoe_name,
        ))
    if not workouts and program_week(start, today + timedelta(days=1)) > program.program.weeks:
        notes.append(f"the {program.program.weeks}-week program is complete: compare before and after with"
                     f" `pose-sync report --since {start}`")
    return Plan(start, ramp, tuple(workouts), tuple(notes), heart, tissue, pain, shoe_plans)
