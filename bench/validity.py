"""How true the numbers are: simulated runners of known truth, and the real samples, through the real CLI.

``python -m bench validity [--seeds N]`` prints the figures the issue
"Honest measurement" asks for; ``tests/analysis/test_validity.py`` holds the
same checks with pass lines. Nothing here is timed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from sim import checks
from sim.runner import Runner, hill_out_and_back, simulate_run

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "fit"
RUNNERS = {
    "typical": checks.TYPICAL,
    "weaker": Runner(cadence_spm=160, stance_time_ms=280, vertical_oscillation_cm=10.0),
    "off-prior exponents": Runner(exponents={"cadence_spm": 0.22, "stance_time_ms": -0.55,
                                             "vertical_oscillation_cm": 0.05, "stance_time_balance_pct": 0.0}),
}


def form_figures() -> None:
    print("form score across paces (a runner whose form never changes; truth: the same score at every pace)")
    for name, runner in RUNNERS.items():
        f = checks.form_across_paces(runner)
        separate = "  ".join(f"{p:.1f}:{s:.0f}" for p, s in f.separate_runs.items())
        print(f"  {name:20s} separate runs (m/s:score) {separate}   spread {f.separate_spread:.1f}")
        print(f"  {'':20s} bands within one run spread {f.within_spread:.1f} over {len(f.within_interval_run)} bands")
        known = checks.form_across_paces_with_history(runner)
        print(f"  {'':20s} after 3 mixed-pace runs in the store: "
              + "  ".join(f"{p:.1f}:{s:.0f}" for p, s in known.items())
              + f"   spread {max(known.values()) - min(known.values()):.1f}")
    bands = checks.intervals_by_speed()
    print(f"  interval session: bands {min(bands):.1f}-{max(bands):.1f} m/s score "
          f"{min(bands.values()):.1f}-{max(bands.values()):.1f}")


def real_sample_figures() -> None:
    print("real samples: band score vs band speed within each run (Spearman rho; the old model gave -0.90 median)")
    rhos = []
    with checks.workspace() as (_, env):
        _, out = checks.run_cli(["analyze", "--json", *map(str, sorted(SAMPLES.rglob("*.fit")))], env)
    for r in map(json.loads, out.splitlines()):
        bands = [b for b in (r.get("form") or {}).get("by_speed") or [] if b["score"] is not None]
        if len(bands) >= 3:
            speeds, scores = [b["speed_mps"] for b in bands], [b["score"] for b in bands]
            rhos.append(checks.spearman(speeds, scores))
            print(f"  {r['source']['path'].split('fit/')[-1]:55s} {len(bands)} bands "
                  f"{min(speeds):.1f}-{max(speeds):.1f} m/s  score {min(scores):.0f}-{max(scores):.0f}  "
                  f"rho {rhos[-1]:+.2f}")
    print(f"  median rho {np.median(rhos):+.2f} over {len(rhos)} runs")


def raw_decoupling(run) -> float:
    """Decoupling from raw speed (what pose-sync did before grade adjustment)."""
    cols = run.columns
    n = len(cols["speed_mps"])
    half = n // 2
    first = np.mean(cols["speed_mps"][:half]) / np.mean(cols["heart_rate_bpm"][:half])
    second = np.mean(cols["speed_mps"][half:]) / np.mean(cols["heart_rate_bpm"][half:])
    return float((first - second) / first * 100)


def economy_figures() -> None:
    print("decoupling (truth: 0 % on the hilly run without drift, about 8 % with 8 % cardiac drift)")
    hilly = simulate_run(Runner(), hill_out_and_back(3.0, 50, 5.0), checks.START, seed=5)
    print(f"  hilly out-and-back, no drift: grade-adjusted {checks.decoupling('hilly', 0.0):+.1f} %,"
          f" raw speed {raw_decoupling(hilly):+.1f} %")
    print(f"  flat, 8 % drift: {checks.decoupling('flat', 8.0):+.1f} %")


def ramp_figures() -> None:
    print("ramp (caution line 1.17 during a technique change, danger 1.5)")
    steady = checks.ramp_new_runner()
    print("  new runner, 4 x 40 min/week constant: "
          + ", ".join(f"{w['ramp_level']} {w['acwr'] if w['acwr'] is None else round(w['acwr'], 2)}"
                      for w in steady.weeks))
    spike = checks.ramp_new_runner(spike_week=4)
    print(f"  same with week 5 at twice the volume: {spike.weeks[4]['ramp_level']} {spike.weeks[4]['acwr']:.2f}")
    back = checks.ramp_after_a_break()
    print(f"  one run after six weeks off: {back.ramp['level']} ({back.ramp['reason']})")


def before_after_figures(seeds: int) -> None:
    print(f"before/after a date over {seeds} simulated runners (truth: no change / +6 spm and -15 ms)")
    claims = {"cadence_spm": 0, "stance_time_ms": 0}
    found = {"cadence_spm": 0, "stance_time_ms": 0}
    deltas: dict[str, list[float]] = {"cadence_spm": [], "stance_time_ms": []}
    for seed in range(seeds):
        unchanged, changed = checks.before_after(seed)
        for metric in claims:
            claims[metric] += checks.claimed(unchanged[metric])
            found[metric] += changed[metric]["verdict"] == "better"
            if changed[metric].get("difference") is not None:
                deltas[metric].append(changed[metric]["difference"])
    for metric in claims:
        d = deltas[metric]
        median = f", median estimate {np.median(d):+.1f}" if d else ""
        print(f"  {metric}: change claimed without one {claims[metric]}/{seeds}, "
              f"true change found {found[metric]}/{seeds}{median}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench validity")
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args(argv)
    form_figures()
    real_sample_figures()
    economy_figures()
    ramp_figures()
    before_after_figures(args.seeds)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
