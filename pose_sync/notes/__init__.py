"""The note pose-sync writes into an activity description: its text and its block."""

from pose_sync.notes.block import BEGIN, END, content_hash, extract, is_current, merge

__all__ = ["BEGIN", "END", "content_hash", "extract", "is_current", "merge"]
