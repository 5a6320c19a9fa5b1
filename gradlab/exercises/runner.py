"""Running a student's function safely, and saying what happened in plain words.

Every check in `gradlab.exercises.check` calls the student's code through `call`, which never
lets anything escape: an exception, a function that runs too long, a wrong type, NaN — each
becomes an `Outcome` that the check turns into a message. The check itself returns a
`CheckResult` (passed / not done yet / failed, and the message), prints the message, and never
raises (`result.assert_passed()` raises on purpose, for the autograder's tests).

The timeout uses SIGALRM when we are on the main thread of a Unix process with no other timer
running (a Jupyter kernel runs cells there), which really interrupts a runaway loop; elsewhere
(Windows, other threads, under pytest-timeout) the call runs in a daemon thread, and a thread
still running at the deadline gets an asynchronous exception that stops a Python loop.
Where there is neither (Pyodide in JupyterLite: no setitimer, no threads) the call runs directly,
with no time limit: a runaway loop there is stopped by restarting the kernel.
"""

from __future__ import annotations

import ctypes
import math
import signal
import sysconfig
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PASSED = "passed"
NOT_DONE = "not done yet"
FAILED = "failed"

DEFAULT_TIMEOUT_S = 10.0


class _Timeout(BaseException):
    """Raised inside the student's code by our SIGALRM handler (not an Exception on purpose:
    a student's `except Exception:` must not swallow it)."""


@dataclass
class Outcome:
    """What one call of a student's function did."""

    value: object = None
    error: BaseException | None = None
    timed_out: bool = False
    seconds: float = 0.0
    where: str = ""  # the last line of the student's code in the traceback, if any

    @property
    def ok(self):
        return self.error is None and not self.timed_out


_LIBRARY_DIRS = (str(Path(__file__).resolve().parent.parent), str(Path(np.__file__).parent),
                 "site-packages", "dist-packages", sysconfig.get_paths()["stdlib"])


def _student_line(exc):
    """The last line of the traceback in the student's own code (not numpy's, not gradlab's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if not any(d in frame.filename for d in _LIBRARY_DIRS):
            line = (frame.line or "").strip()
            return f"line {frame.lineno} in {frame.name}: {line}" if line else ""
    return ""


def _can_use_alarm():
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


def call(fn, *args, timeout=DEFAULT_TIMEOUT_S, **kwargs):
    """Call fn(*args, **kwargs); return an Outcome instead of raising or hanging.

    KeyboardInterrupt (the user pressing stop) is the one thing passed on.
    """
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if _can_use_alarm():
            out = _call_with_alarm(fn, args, kwargs, timeout)
        else:
            out = _call_in_thread(fn, args, kwargs, timeout)
    out.seconds = time.perf_counter() - start
    return out


def _call_with_alarm(fn, args, kwargs, timeout):
    def on_alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return _call_directly(fn, args, kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        return Outcome(timed_out=True)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _stop(worker):
    """Raise _Timeout inside a runaway thread (CPython), so it does not spin on forever.

    Code stuck inside one long C call (a huge numpy operation) only stops when that call
    returns; the thread is a daemon either way.
    """
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident),
                                               ctypes.py_object(_Timeout))
    worker.join(1.0)


def _call_in_thread(fn, args, kwargs, timeout):
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="gradlab-exercise-call")
    try:
        worker.start()
    except RuntimeError:  # "can't start new thread": Pyodide (JupyterLite) has no threads
        return _call_directly(fn, args, kwargs)
    worker.join(timeout)
    if worker.is_alive():
        _stop(worker)
        return Outcome(timed_out=True)
    if isinstance(box.get("error"), KeyboardInterrupt):
        raise box["error"]
    if "error" in box:
        return Outcome(error=box["error"], where=_student_line(box["error"]))
    return Outcome(value=box.get("value"))


def _call_directly(fn, args, kwargs):
    """Call fn with no time limit (no timer and no threads to enforce one)."""
    try:
        return Outcome(value=fn(*args, **kwargs))
    except (KeyboardInterrupt, _Timeout):
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit from a student's exit() included
        return Outcome(error=exc, where=_student_line(exc))


# ----------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------

_MARK = {PASSED: "✓", NOT_DONE: "…", FAILED: "✗"}


@dataclass
class CheckResult:
    """The answer of one check: its status, the message shown, and machine-readable details.

    `details` holds e.g. {"case": "reused node", "hint": "mistake-name"} so tests (and curious
    students) can see which case failed and which mistake was recognised.
    """

    name: str
    status: str
    message: str
    details: dict = field(default_factory=dict)
    _printed: bool = field(default=False, repr=False)

    @property
    def passed(self):
        return self.status == PASSED

    @property
    def not_done(self):
        return self.status == NOT_DONE

    @property
    def mistake(self):
        """The name of the common mistake recognised, if any (see the instructor notes)."""
        return self.details.get("mistake")

    def __bool__(self):
        return self.passed

    def text(self):
        if self.status == NOT_DONE:
            return f"{_MARK[self.status]} {self.name}: not done yet — {self.message}"
        return f"{_MARK[self.status]} {self.name}: {self.message}"

    def __str__(self):
        return self.text()

    def _ipython_display_(self):
        # The check already printed its message; printing it again would repeat it.
        if not self._printed:
            print(self.text())

    def assert_passed(self):
        """Raise AssertionError with the feedback unless the check passed (for autograders)."""
        if not self.passed:
            raise AssertionError(self.text())
        return self


class NotDone(Exception):
    """Raised inside a check body: the student has not written this part yet."""


class Failed(Exception):
    """Raised inside a check body: a case failed. `mistake` names a recognised mistake."""

    def __init__(self, message, mistake=None, case=None):
        super().__init__(message)
        self.message = message
        self.mistake = mistake
        self.case = case


def run_check(name, body, *args, quiet=False, **kwargs):
    """Run a check body; turn whatever happens into a printed CheckResult (never raises).

    `body(*args, **kwargs)` returns the pass message, or raises NotDone / Failed.
    """
    try:
        message = body(*args, **kwargs)
        result = CheckResult(name, PASSED, message)
    except NotDone as exc:
        result = CheckResult(name, NOT_DONE, str(exc))
    except Failed as exc:
        result = CheckResult(name, FAILED, exc.message,
                             {"mistake": exc.mistake, "case": exc.case})
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a bug in the check must not crash the notebook
        result = CheckResult(name, FAILED,
                             "the check itself ran into a problem it did not expect "
                             f"({type(exc).__name__}: {exc}). Your code may be fine; please "
                             "tell your instructor.", {"mistake": "check-error"})
    if not quiet:
        print(result.text())
        result._printed = True
    return result


# ----------------------------------------------------------------------------------------
# Describing values and failures in plain words
# ----------------------------------------------------------------------------------------

def describe(x):
    """A short description of a value's type and shape: 'an array of shape (3, 4)'."""
    if x is None:
        return "None"
    if x is Ellipsis:
        return "... (the placeholder)"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}" + (f" (dtype {x.dtype})" if x.dtype.kind not in
                                                 "fiu" else "")
    if isinstance(x, bool | np.bool_):
        return f"the boolean {x}"
    if isinstance(x, int | float | np.number):
        return f"the number {fmt(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))}"
    if isinstance(x, list | tuple):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


def fmt(x, precision=5):
    """Numbers and small arrays, compactly."""
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating) or (isinstance(x, np.ndarray) and x.ndim == 0
                                              and x.dtype.kind == "f"):
        return f"{float(x):.{precision}g}"
    text = np.array2string(np.asarray(x), precision=precision, threshold=16,
                           max_line_width=76, suppress_small=False)
    if "\n" in text:  # a matrix: start it on its own line, indented
        return "\n      " + text.replace("\n", "\n      ")
    return text


def error_text(outcome):
    """'ZeroDivisionError: division by zero (line 3 in f: return 1/0)'."""
    if outcome.timed_out:
        return "it did not finish in time"
    exc = outcome.error
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if outcome.where:
        text += f"\n    at {outcome.where}"
    return text


def not_done_reason(fn, label):
    """If fn is clearly not written yet, the reason as a sentence; else None."""
    if fn is None or fn is Ellipsis:
        return f"`{label}` is still a placeholder: write it, run its cell, then run this check."
    if not callable(fn):
        return f"`{label}` should be a function, but it is {describe(fn)}."
    return None


def outcome_or_raise(outcome, label, case):
    """The value of a call, or NotDone / Failed describing what went wrong in the call."""
    if outcome.timed_out:
        raise Failed(f"case '{case}': `{label}` did not finish within the time limit. Look for a "
                     "loop that never ends (or a very slow one). If the notebook stays slow, "
                     "restart the kernel.", mistake="timeout", case=case)
    if outcome.error is not None:
        if isinstance(outcome.error, NotImplementedError):
            raise NotDone(f"`{label}` still raises NotImplementedError: replace that line with "
                          "your code.")
        if isinstance(outcome.error, RecursionError):
            raise Failed(f"case '{case}': `{label}` hit Python's recursion limit "
                         f"({error_text(outcome)}). A recursion that never stops, or a very deep "
                         "one: use a loop with an explicit stack.", mistake="recursion",
                         case=case)
        raise Failed(f"case '{case}': `{label}` raised an error:\n    {error_text(outcome)}",
                     mistake="exception", case=case)
    if outcome.value is Ellipsis:
        raise NotDone(f"`{label}` returned `...` (the placeholder): write its body.")
    return outcome.value


def as_array(value, label, case, expected_shape=None):
    """value as a float array, or Failed saying why it cannot be (wrong type, NaN)."""
    if value is None:
        raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                      "missing?")
    if isinstance(value, list | tuple):
        raise Failed(f"case '{case}': `{label}` returned {describe(value)}; return a numpy "
                     "array (np.array(...) or the result of numpy operations).",
                     mistake="wrong-type", case=case)
    if not isinstance(value, np.ndarray | float | int | np.number):
        raise Failed(f"case '{case}': `{label}` returned {describe(value)}; expected a numpy "
                     "array" + (f" of shape {expected_shape}" if expected_shape is not None
                                else "") + ".", mistake="wrong-type", case=case)
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) and (expected_shape is None or arr.shape == expected_shape):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise Failed(f"case '{case}': `{label}` returned {bad} values:\n    got: {fmt(arr)}",
                     mistake="nan", case=case)
    return arr


def close(a, b, rtol=1e-6, atol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def finite(x):
    return isinstance(x, int | float) and math.isfinite(x)
