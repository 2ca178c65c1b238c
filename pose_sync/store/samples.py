"""Columnar samples at rest: one compressed .npz per activity.

Platform streams (Strava) have no original file to go back to, so their
converted samples are kept instead; re-scoring reads them back exactly.
"""

from __future__ import annotations

import io
import json

from pose_sync.model import Samples

_UNITS_KEY = "__units__"
_TIME_KEY = "__elapsed_s__"


def samples_to_bytes(samples: Samples) -> bytes:
    import numpy as np  # here, not at import: opening the store must not cost numpy's import

    buffer = io.BytesIO()
    arrays = {_TIME_KEY: samples.elapsed_s, **{f"c:{k}": v for k, v in samples.channels.items()}}
    arrays[_UNITS_KEY] = np.frombuffer(json.dumps(samples.units, sort_keys=True).encode(), dtype=np.uint8)
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def samples_from_bytes(data: bytes) -> Samples:
    import numpy as np

    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        units = json.loads(npz[_UNITS_KEY].tobytes().decode())
        channels = {k[2:]: npz[k] for k in npz.files if k.startswith("c:")}
        return Samples(elapsed_s=npz[_TIME_KEY], channels=channels, units=units)
