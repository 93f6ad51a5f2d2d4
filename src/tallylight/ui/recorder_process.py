"""QProcess client of the recorder control channel (docs/CONTROL.md).

One ``RecorderProcess`` runs one recorder process for one session. Its pipes are
serviced on the GUI thread by Qt, so no Python thread is involved; when the GUI
dies, the recorder's stdin closes and it stops (the heartbeat).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal, Slot

from tallylight import protocol
from tallylight.hardening import child_env
from tallylight.i18n import _
from tallylight.protocol import Command, Message, RecorderMessage
from tallylight.recorder import exitlog
from tallylight.reentry import child_argv

log = logging.getLogger(__name__)

#: overridable for tests (a fake recorder speaking CONTROL.md)
RECORDER_COMMAND_ENV = "TALLYLIGHT_RECORDER_CMD"


def recorder_command() -> tuple[str, list[str]]:
    override = os.environ.get(RECORDER_COMMAND_ENV)
    if override:
        parts = json.loads(override)
        return str(parts[0]), [str(p) for p in parts[1:]]
    program, *args = child_argv("tallylight.recorder.process")  # `<app> --recorder` when frozen
    return program, args


class RecorderProcess(QObject):
    """Signals carry the recorder's messages as ``protocol.RecorderMessage`` (see CONTROL.md)."""

    ready = Signal(object)  # the recorder is up (its version and pid); no session yet
    started = Signal(object)
    paused = Signal(object)
    resumed = Signal(object)
    stats = Signal(object)  # ``stats`` and ``status`` messages
    preview = Signal(object)
    private_changed = Signal(object)  # reply to ``private``: the own-menu gap is on/off
    stopped = Signal(object)  # ``stopped`` message, or a synthesised one if the process died
    error = Signal(str, bool)  # message, fatal (notices and refused commands other than start)
    start_refused = Signal(str)  # an error in reply to the start command: no session started
    marked = Signal(object)  # ``task`` (a study task started or ended) and ``note`` replies
    finished = Signal(int)  # exit code; always the last signal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proc = QProcess(self)
        self._proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self._proc.setInputChannelMode(QProcess.InputChannelMode.ManagedInputChannel)
        self._proc.readyReadStandardOutput.connect(self._on_stdout)
        self._proc.readyReadStandardError.connect(self._on_stderr)
        self._proc.finished.connect(self._on_finished)
        self._proc.errorOccurred.connect(self._on_error)
        self._buf = bytearray()
        self._next_id = 1
        self._got_stopped = False
        self._done = False
        self._start_id: int | None = None
        self._started = False
        self.stderr_tail: list[str] = []
        self._pid = 0
        self.exit: exitlog.RecorderExit | None = None  # how the process ended, once it has

    # ---- lifecycle -------------------------------------------------------
    def pid(self) -> int:
        return int(self._proc.processId() or 0)

    def is_running(self) -> bool:
        return self._proc.state() != QProcess.ProcessState.NotRunning

    def launch(self, start_fields: dict[str, Any]) -> None:
        """Start the process and queue the ``start`` command (pipes buffer it)."""
        self.spawn()
        self._start_id = self.send(Command.START, **start_fields)

    def spawn(self) -> None:
        """Start the process without a session (``launch`` adds the start; the self-test stops here)."""
        program, args = recorder_command()
        env = QProcessEnvironment()
        for name, value in child_env().items():  # the recorder never needs the passphrase
            env.insert(name, value)
        env.insert("PYTHONUNBUFFERED", "1")
        self._proc.setProcessEnvironment(env)
        self._proc.start(program, args)
        self._pid = self.pid()

    def send(self, cmd: Command, **fields: Any) -> int:
        msg_id = self._next_id
        self._next_id += 1
        if self._proc.state() == QProcess.ProcessState.NotRunning and cmd != Command.START:
            return msg_id
        self._proc.write(protocol.encode(protocol.command(cmd, msg_id, **fields)).encode("utf-8"))
        return msg_id

    def pause(self) -> None:
        self.send(Command.PAUSE)

    def resume(self) -> None:
        self.send(Command.RESUME)

    def stop(self, reason: str = "participant") -> None:
        """Ask for a clean stop; the recorder replies ``stopped`` and exits.

        ``reason`` (``participant`` or ``quit``) is an extra field a recorder may use
        for the session's stop reason; CONTROL.md recorders ignore unknown fields.
        """
        if self.is_running():
            self.send(Command.STOP, reason=reason)

    def close_channel(self) -> None:
        """Close stdin: the recorder must stop now (same as the GUI dying)."""
        if self.is_running():
            self._proc.closeWriteChannel()

    def wait_stopped(self, msecs: int = 3000) -> bool:
        """Block until the process exits (only used while the app quits)."""
        if not self.is_running():
            return True
        ok = self._proc.waitForFinished(msecs)
        if not ok:
            log.warning("recorder did not exit in %d ms; killing it", msecs)
            self._proc.kill()
            self._proc.waitForFinished(1000)
        return ok

    # ---- pipes -----------------------------------------------------------
    @Slot()
    def _on_stdout(self) -> None:
        self._buf += bytes(self._proc.readAllStandardOutput().data())
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                break
            line = bytes(self._buf[:nl]).strip()
            del self._buf[: nl + 1]
            if line:
                self._handle_line(line)

    @Slot()
    def _on_stderr(self) -> None:
        text = bytes(self._proc.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                log.info("recorder: %s", line)
                self.stderr_tail.append(line)
        del self.stderr_tail[: -exitlog.TAIL_LINES]

    def _handle_line(self, line: bytes) -> None:
        try:
            msg = RecorderMessage.parse(protocol.decode(line))
        except ValueError:
            log.warning("recorder sent a line that is not a JSON object: %r", line[:200])
            return
        event = msg.event
        if event == Message.READY:
            self.ready.emit(msg)  # a session's start command is already queued behind it
        elif event == Message.STARTED:
            self._started = True
            self.started.emit(msg)
        elif event == Message.PAUSED:
            self.paused.emit(msg)
        elif event == Message.RESUMED:
            self.resumed.emit(msg)
        elif event in (Message.STATS, Message.STATUS):
            self.stats.emit(msg)
        elif event == Message.PREVIEW:
            self.preview.emit(msg)
        elif event == Message.PRIVATE:
            self.private_changed.emit(msg)
        elif event in (Message.TASK, Message.NOTE):
            self.marked.emit(msg)
        elif event == Message.STOPPED:
            self._got_stopped = True
            self.stopped.emit(msg)
        elif event == Message.ERROR:
            text = msg.message or "The recorder reported an error."
            if not self._started and msg.reply_to is not None and msg.reply_to == self._start_id:
                self.start_refused.emit(text)
            else:
                self.error.emit(text, msg.fatal)
        else:
            log.debug("unknown recorder message: %r", msg)

    @Slot(int, QProcess.ExitStatus)
    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._on_stdout()
        self._on_stderr()
        crashed = status != QProcess.ExitStatus.NormalExit
        # on Unix, Qt gives the signal's number as the exit code of a crash
        self.exit = exitlog.RecorderExit(self._pid, None if crashed else code, code if crashed else None)
        self._finish(code if not crashed else -1)

    @Slot(QProcess.ProcessError)
    def _on_error(self, err: QProcess.ProcessError) -> None:
        if err == QProcess.ProcessError.FailedToStart:
            self.error.emit(
                _("The recorder could not be started: {why}").format(why=self._proc.errorString()), True
            )
            self._finish(-1)

    def _finish(self, code: int) -> None:
        if self._done:
            return
        self._done = True
        if not self._got_stopped:
            self._got_stopped = True
            ex = self.exit or exitlog.RecorderExit(self._pid, code, None)
            self.exit = ex = dataclasses.replace(ex, stderr=tuple(self.stderr_tail))
            self.stopped.emit(
                RecorderMessage(
                    Message.STOPPED, reason=protocol.RECORDER_EXITED, exit_code=ex.code, signal=ex.signal
                )
            )
        self.finished.emit(code)
