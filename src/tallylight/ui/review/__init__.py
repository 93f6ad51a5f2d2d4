"""The review window: one session's timeline, replay, path, typing rhythm and summary (pyqtgraph)."""
