"""Across history: load and ramp, intensity, form at matched pace, shoes, the program and its planner.

Pure functions of stored :class:`~pose_sync.model.RunAnalysis` objects and the
config; nothing here decodes a file or opens a socket.
"""
