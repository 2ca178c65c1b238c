"""Planned workouts: a neutral model, and its encodings (FIT workout files, platform JSON)."""
