"""Keras's progress display for ``fit``, ``evaluate`` and ``predict``, as a callback.

``fit(verbose=1)`` prints, per epoch (the "Epoch" line only when there are several epochs)::

    Epoch 3/50
    15/15 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.9736 - loss: 0.0712 - val_...

On an interactive terminal the bar is redrawn in place (``\\r``) while the epoch runs. Anywhere
else (a pipe, a log file, a notebook run by nbmake, Jupyter: ``sys.stdout.isatty()`` is false)
only the finished line is printed, one per epoch, never a redraw per batch. ``verbose=2``
prints one short line per epoch (``15/15 - 0s - 2ms/step - accuracy: ... - loss: ...``) and
``verbose=0`` nothing.

Keras's format: a 20-character bar, the elapsed time (the remaining time while running), the
time per step, then the logs: the training values sorted by name, then the validation values
sorted, then any key a callback added at the epoch's end ("learning_rate"); 4 decimals, or
``1.2346e-05`` for magnitudes up to 1e-3. The values shown are the logs as the loop gives them
(its running means over the epoch), not averaged again as Keras's Progbar does.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

from nn.callbacks import Callback, Logs

__all__ = ["ProgressBar", "write_line"]

_console = {"line_open": False}  # whether a bar's line is drawn and not yet ended by "\n"


def write_line(text: str) -> None:
    """Print ``text`` on a line of its own: a progress bar's line still open is ended first, so
    callbacks' messages never land in the middle of a bar."""
    stream = sys.stdout
    if _console["line_open"]:
        stream.write("\n")
        _console["line_open"] = False
    stream.write(text + "\n")
    stream.flush()


def _interactive() -> bool:
    """Whether stdout is a terminal, where the bar may be redrawn in place."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def format_value(value: Any) -> str:
    """A log value as Keras shows it: 4 decimals, scientific notation for |x| <= 1e-3."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.4f}" if abs(number) > 1e-3 else f"{number:.4e}"


def format_step_time(seconds: float) -> str:
    """The time per step as Keras shows it: "2s/step", "15ms/step" or "480us/step"."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{(seconds % 3600) // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{math.floor(seconds)}s"


class _Bar:
    """One epoch's (or one evaluation's) bar: records the logs and draws lines."""

    def __init__(
        self,
        target: int | None,
        verbose: int,
        width: int,
        interval: float,
        clock: Callable[[], float],
    ) -> None:
        self.target, self.verbose, self.width = target, verbose, width
        self.interval, self.clock = interval, clock
        self.interactive = _interactive()
        self.start = clock()
        self.after_first_step: float | None = None
        self.last_draw = -math.inf
        self.drawn_width = 0
        self.seen = 0
        self.keys: list[str] = []
        self.values: dict[str, Any] = {}

    def _record(self, logs: Logs | None, final: bool) -> None:
        """Keep the latest values; a new key goes after the known ones (in the epoch's final
        logs: validation keys first, then the rest, each sorted)."""
        logs = logs or {}
        new = [key for key in logs if key not in self.values]
        order = (lambda key: (not key.startswith("val_"), key)) if final else None
        self.keys.extend(sorted(new, key=order))
        self.values.update(logs)

    def _step_time(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first step (often slow) once there are others."""
        if current <= 0:
            return 0.0
        if self.after_first_step is not None and current > 1:
            return (now - self.after_first_step) / (current - 1)
        return (now - self.start) / current

    def update(self, current: int, logs: Logs | None) -> None:
        """After a batch: record, and on a terminal redraw (at most every ``interval`` s)."""
        self._record(logs, final=False)
        now = self.clock()
        per_step = self._step_time(current, now)
        if current == 1:
            self.after_first_step = now
        self.seen = current
        if self.verbose == 1 and self.interactive and now - self.last_draw >= self.interval:
            self._draw(current, now, per_step, final=False)
            self.last_draw = now

    def finish(self, logs: Logs | None) -> None:
        """At the end: record the final logs and print the finished line."""
        self._record(logs, final=True)
        if self.target is None:
            self.target = self.seen
        now = self.clock()
        per_step = self._step_time(self.target, now)
        if self.verbose == 1:
            self._draw(self.target, now, per_step, final=True)
        elif self.verbose == 2:
            count = self._count(self.target)
            line = f"{count} - {now - self.start:.0f}s - {format_step_time(per_step)}"
            sys.stdout.write(line + self._metrics() + "\n")
            sys.stdout.flush()

    def _count(self, current: int) -> str:
        if self.target is None:
            return f"{current:7d}/Unknown"
        return f"{current:{len(str(self.target))}d}/{self.target}"

    def _metrics(self) -> str:
        return "".join(f" - {key}: {format_value(self.values[key])}" for key in self.keys)

    def _draw(self, current: int, now: float, per_step: float, final: bool) -> None:
        """Write the verbose=1 line: in place on a terminal, else as a line of its own."""
        count = self._count(current)
        if self.target is None:
            bar = plain_bar = ""
        else:
            done = int(self.width * current / self.target) if self.target else self.width
            done = min(done, self.width)
            plain_bar = " " + "━" * self.width
            bar = plain_bar
            if self.interactive:  # Keras's colours: bold count, green done, grey to do
                bar = f" \x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (self.width - done)}\x1b[0m"
        if final or self.target is None:
            clock = f"{now - self.start:.0f}s"
        else:
            clock = _format_eta(per_step * (self.target - current))
        rest = f" {clock} {format_step_time(per_step)}{self._metrics()}"
        visible = len(count) + len(plain_bar) + len(rest)
        if not self.interactive:
            sys.stdout.write(count + bar + rest + "\n")
            sys.stdout.flush()
            return
        if not _console["line_open"]:
            self.drawn_width = 0  # someone ended the line: nothing to overwrite
        padding = " " * max(0, self.drawn_width - visible)
        end = "\n" if final else ""
        sys.stdout.write(f"\r\x1b[1m{count}\x1b[0m{bar}{rest}{padding}{end}")
        sys.stdout.flush()
        self.drawn_width = visible
        _console["line_open"] = not final


class ProgressBar(Callback):
    """Keras's ``ProgbarLogger``: the progress display ``fit`` adds for ``verbose`` 1 or 2.

    ``verbose=None`` takes ``params["verbose"]`` ("auto" meaning 1). Inside ``fit`` the
    validation pass is silent (its values appear on the epoch's line); ``evaluate`` and
    ``predict`` get a bar of their own. ``clock`` (seconds, default ``time.perf_counter``) is
    there for tests.
    """

    def __init__(
        self,
        verbose: int | None = None,
        width: int = 20,
        interval: float = 0.05,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        self.verbose_setting = verbose
        self.verbose = 1 if verbose is None else verbose
        self.width, self.interval, self.clock = width, interval, clock
        self.epochs, self.steps = 1, None
        self.bar: _Bar | None = None
        self._in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = self.verbose_setting
        if verbose is None:
            verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.steps = params.get("steps")

    def _new_bar(self) -> None:
        self.bar = _Bar(self.steps, self.verbose, self.width, self.interval, self.clock)

    def _update(self, batch: int, logs: Logs | None) -> None:
        if self.bar is None:
            self._new_bar()
        self.bar.update(batch + 1, logs)

    def _finish(self, logs: Logs | None) -> None:
        if self.bar is None:
            self._new_bar()
        if self.verbose:
            self.bar.finish(logs)
        self.bar = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._new_bar()
        if self.verbose and self.epochs > 1:
            write_line(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finish(logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._new_bar()

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, None)  # predictions are not shown

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._finish(None)
