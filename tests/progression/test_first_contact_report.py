"""What a newcomer's first report shows: a window with runs in it, years where they change, no empty
rows by the hundred, and sums that leave out fragments and impossible totals (issue 11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from pose_sync.config import Config  # noqa: E402
from pose_sync.progression import counted  # noqa: E402
from pose_sync.progression.html import render_html  # noqa: E402
from pose_sync.progression.injury_text import tissue_lines  # noqa: E402
from pose_sync.progression.plots import _broken, _week_axis  # noqa: E402
from pose_sync.progression.report import build_report  # noqa: E402
from pose_sync.progression.text import WeekGap, trend_table, week_cells, week_lines  # noqa: E402
from tests.progression.factory import program_history, run  # noqa: E402

START = date(2025, 3, 3)  # a Monday


def report(runs, today, **kw):
    return build_report([(r, None) for r in runs], {}, Config(), today, **kw)


def test_an_empty_recent_window_moves_to_the_last_run_and_says_how_to_widen_it():
    history = program_history(START)
    last = max(r.start_time.date() for r in history)
    today = last + timedelta(days=200)
    shown = report(history, today)
    assert shown.last_day == last and shown.runs_in_window > 0
    assert f"your last run was on {last}" in shown.window_note and "--weeks" in shown.window_note
    # asked for explicitly, the window stays where it was asked for and says how far back the runs are
    fixed = report(history, today, weeks=12)
    assert fixed.runs_in_window == 0 and fixed.last_day == today
    assert f"your last run was on {last}" in fixed.window_note
    weeks = int(fixed.window_note.split("--weeks ")[1].split("`")[0])
    assert report(history, today, weeks=weeks).runs_in_window > 0


def test_a_window_starts_at_the_first_run_not_with_empty_weeks_before_it():
    history = program_history(START, weeks=3)
    shown = report(history, START + timedelta(weeks=3))
    assert shown.first_week == START and shown.weeks[0].runs > 0


def test_weeks_without_runs_collapse_into_one_line_and_short_breaks_stay():
    old = program_history(date(2018, 1, 1), weeks=4)
    new = program_history(START, weeks=4)
    shown = report(old + new, START + timedelta(weeks=4), weeks=420)
    lines = week_lines(shown.weeks)
    gaps = [line for line in lines if isinstance(line, WeekGap)]
    assert len(shown.weeks) > 360 and len(lines) < 12
    assert any(gap.weeks > 300 for gap in gaps) and "29 Jan 18 to 02 Mar 25" in gaps[0].label()
    assert sum(g.weeks for g in gaps) + sum(1 for line in lines if not isinstance(line, WeekGap)) == len(shown.weeks)
    tissue = tissue_lines(shown.injury.tissue_weeks)          # the tissue-load table too
    assert len(tissue) < 12 and any(isinstance(line, WeekGap) and line.weeks > 300 for line in tissue)


def test_week_on_week_change_is_never_shown_against_an_empty_week():
    runs = [run(START + timedelta(days=1)), run(START + timedelta(weeks=2, days=1)),
            run(START + timedelta(weeks=3, days=1), minutes=60)]
    shown = report(runs, START + timedelta(weeks=4))
    by_week = {w.week: w for w in shown.weeks}
    assert by_week[START + timedelta(weeks=1)].distance_change_pct is None    # empty: not "-100 %"
    assert by_week[START + timedelta(weeks=2)].distance_change_pct is None    # after an empty week
    assert by_week[START + timedelta(weeks=3)].distance_change_pct == 50.0
    assert by_week[START + timedelta(weeks=4)].distance_change_pct is None


def test_the_unfinished_week_is_compared_with_the_same_days_of_the_week_before():
    # last week: Tue 40 min and Sat 60 min; this week so far (today Thursday, no run yet today): Tue 40 min
    last_week = START + timedelta(weeks=1)
    runs = [run(START + timedelta(days=1)), run(last_week + timedelta(days=1)),
            run(last_week + timedelta(days=5), minutes=60), run(last_week + timedelta(weeks=1, days=1))]
    shown = report(runs, last_week + timedelta(weeks=1, days=3))
    this = shown.weeks[-1]
    assert not this.complete and shown.weeks[-2].complete
    assert this.distance_change_pct == 0.0            # Mon-Wed against Mon-Wed, not "-60 %" against all of it
    assert week_cells(this)[0].endswith("*")


def test_fragments_and_impossible_totals_stay_out_of_every_sum_with_a_warning():
    history = program_history(START, weeks=6)
    today = START + timedelta(weeks=6)
    base = report(history, today)
    fragment = replace(run(today - timedelta(days=1)), moving_time_s=53.0, distance_m=200.0)
    damaged = replace(run(today - timedelta(days=2)), moving_time_s=314.0, distance_m=11_300.0)
    assert counted.left_out(fragment).kind == "fragment" and counted.left_out(damaged).kind == "implausible"
    assert counted.counts(history[0])
    shown = report([*history, fragment, damaged], today)
    assert [w.distance_km for w in shown.weeks] == [w.distance_km for w in base.weeks]
    assert [w.load for w in shown.weeks] == [w.load for w in base.weeks]
    assert shown.ramp == base.ramp and shown.left_out == 2
    assert any("11.3 km in 5:14" in w and "36 m/s" in w for w in shown.warnings)
    assert any("1 fragment(s)" in w for w in shown.warnings)


def test_a_fragment_after_a_break_is_not_a_ramp_alarm():
    history = program_history(START, weeks=6)
    back = START + timedelta(weeks=6, days=30)
    fragment = replace(run(back), moving_time_s=53.0, distance_m=200.0)
    shown = report([*history, fragment], back)
    assert shown.ramp is not None and shown.ramp.level not in ("caution", "danger")
    assert shown.weeks[-1].load == 0.0


def test_a_multi_year_report_labels_years_on_axes_and_in_week_columns():
    history = program_history(date(2024, 11, 4), weeks=12)
    shown = report(history, date(2025, 1, 27), weeks=12)
    headers, rows = trend_table(shown)
    assert rows and any("24" in h for h in headers[1:]) and any("25" in h for h in headers[1:])
    figure, ax = plt.subplots()
    ax.plot([0], [0])
    _week_axis(ax, shown)
    figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    plt.close(figure)
    assert any("2025" in label for label in labels), labels
    # one year only: no year needed in the columns
    same = report(program_history(START), START + timedelta(weeks=12))
    assert all(h.count(" ") == 1 for h in trend_table(same)[0][1:])


def test_lines_break_at_gaps_in_the_history():
    days = [date(2018, 1, 1), date(2018, 1, 8), date(2026, 5, 4)]
    xs, ys = _broken(days, [1.0, 2.0, 3.0], gap_days=21)
    assert len(xs) == 4 and xs[2] != xs[2] and ys[2] != ys[2]   # a NaN between 2018 and 2026
    assert len(_broken(days[:2], [1.0, 2.0], gap_days=21)[0]) == 2     # a week apart: one line


def test_the_html_has_the_form_by_week_table_the_terminal_shows():
    shown = report(program_history(START), START + timedelta(weeks=12))
    page = render_html(shown, None)
    headers, rows = trend_table(shown)
    assert "Form at your usual pace, by week" in page
    assert all(h in page for h in headers) and rows[0][-1] in page


def test_easy_and_hard_have_colours_apart_and_a_panel_without_data_says_why():
    from matplotlib.colors import to_rgb

    from pose_sync.progression.plots import COLOURS, _plot_intensity, _plot_load, _plot_pair

    easy, hard = to_rgb(COLOURS["easy"]), to_rgb(COLOURS["hard"])
    assert sum(abs(a - b) for a, b in zip(easy, hard, strict=True)) > 1.0
    runs = [run(START + timedelta(days=d), cadence=None, contact=None, oscillation=None, hr=None) for d in (1, 3)]
    shown = report(runs, START + timedelta(days=6))
    figure, axes = plt.subplots(1, 3)
    _plot_pair(axes[0], shown, ("stance_time_ms", "contact", "red"), ("cadence_spm", "cadence", "blue"), "Contact")
    _plot_load(axes[1], shown)
    _plot_intensity(axes[2], shown)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    plt.close(figure)
    assert any("no running dynamics" in t for t in texts)
    assert any(t.startswith("ramp: building history") for t in texts)   # a week of history: no ratio drawn
