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
  in one activity. A longer session time, or records far beyond the session,
  are damage.
"""

from __future__ import annotations

MAX_SPEED_MPS = 12.5
MAX_CADENCE_SPM = 300.0
STANCE_TIME_MS = (50.0, 2000.0)
HEART_RATE_BPM = (20.0, 250.0)
DISTANCE_SLACK_M = 25.0
MAX_ELAPSED_S = 7 * 24 * 3600.0
