"""Standard study tasks run in Tallylight's own window (docs/TASKS.md): their layout and measures.

Qt-free: the task window (``tallylight.ui.task_window``) and ``tallylight-lab task layout``
both draw their targets from :mod:`tallylight.tasks.layout`, so a researcher sees ahead of
time exactly what a participant will see; :mod:`tallylight.tasks.measures` turns trials into
the measures the field reports.
"""
