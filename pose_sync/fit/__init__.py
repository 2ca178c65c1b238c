"""FIT decoding: bytes in, :class:`~pose_sync.fit.activity.DecodedFit` out.

``decode_fit`` is the one entry point the rest of pose-sync calls; which
decoder reads the bytes (the fitparse reference, or the columnar fast path
where it applies) is decided here and nowhere else.
"""

from __future__ import annotations

import hashlib
import logging

from pose_sync.fit.activity import DecodedFit, activities_from_tables
from pose_sync.fit.fast import FastPathUnsupported, decode_fast
from pose_sync.fit.reference import decode_reference
from pose_sync.fit.tables import FitTables
from pose_sync.model import SourceRef

__all__ = ["DecodedFit", "FitTables", "decode_fit", "decode_tables", "sha256_hex"]
log = logging.getLogger(__name__)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_tables(data: bytes) -> FitTables:
    """Decode raw FIT bytes: the columnar fast path, or fitparse where it declines.

    The fast path declines every broken or unusual file, so damaged files
    are always read by fitparse, which keeps what precedes the break.
    """
    try:
        return decode_fast(data)
    except FastPathUnsupported as reason:
        log.debug("fast path declined (%s); decoding with fitparse", reason)
    except Exception as exc:  # a fast-path bug must cost speed, never a run: fitparse decides
        # One line for the user; the traceback only with --debug (it is a bug report, not their problem).
        log.warning("fast FIT decoder failed unexpectedly (%s: %s); decoding with fitparse", type(exc).__name__, exc)
        log.debug("fast FIT decoder failure", exc_info=True)
    return decode_reference(data)


def decode_fit(data: bytes, source: SourceRef) -> DecodedFit:
    """Decode a FIT file (chained parts included) into one activity per session."""
    return activities_from_tables(decode_tables(data), source, fit_sha256=sha256_hex(data))
