"""The exceptions melwav raises.

Every failure a person can cause (a bad file, a bad setting, a params file that does not fit) is a
:class:`MelwavError`, whose message is one readable sentence, so the CLI and the app can show it as is.
"""

from __future__ import annotations


class MelwavError(Exception):
    """Base class: a problem with what the user gave melwav, explained in the message."""


class ParameterError(MelwavError, ValueError):
    """A setting is out of range or of the wrong type; the message names it and its allowed range."""


class AudioError(MelwavError):
    """An input file is not usable audio (unreadable, empty, silent, too long, ...)."""


class RecordError(MelwavError):
    """A params/record file is malformed or does not fit the clip it is replayed on."""


class LimitError(ParameterError):
    """A request asks for more work or memory than allowed; the message says what to change."""


class Cancelled(MelwavError):
    """Work was stopped before it finished (its time ran out, or nobody waits for it any more)."""


class DiskFullError(MelwavError, OSError):
    """An output could not be written because the disk (or quota) is full."""


def show_value(value, *, limit: int = 40) -> str:
    """A short, safe rendering of a user-supplied value for a message: never the whole of a big one.

    Numbers and short strings are shown as they are; anything long is shown by its type and size.
    """
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        # A huge int cannot even be printed past Python's digit limit (3.11+); show its size instead.
        bits = value.bit_length()
        return repr(value) if bits <= 64 else f"an integer of about {int(bits * 0.30103) + 1} digits"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (str, bytes)):
        return repr(value) if len(value) <= limit else f"a {type(value).__name__} of {len(value)} characters"
    if isinstance(value, (list, tuple, dict, set)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def check_keys(data, allowed, *, what: str, error: type[MelwavError] = ParameterError) -> dict:
    """Return ``data`` if it is a mapping whose keys are all in ``allowed``; else raise ``error`` naming them."""
    if not isinstance(data, dict):
        raise error(f"{what} must be a mapping, got {type(data).__name__}")
    unknown = set(data) - set(allowed)
    if unknown:
        raise error(f"unknown key(s) in {what}: {', '.join(sorted(map(str, unknown)))}")
    return data


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise :class:`ParameterError` naming ``name`` and its range."""
    # bool is an int and a string like "7" converts, but neither is a number a person meant.
    if isinstance(value, (bool, str, bytes)) or not _is_integral(value):
        raise ParameterError(f"{name} must be a whole number{_range_text(low, high)}, got {show_value(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParameterError(f"{name} must be{_range_text(low, high)}, got {show_value(value)}")
    return value


def check_float(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    """Return ``value`` as a finite float, or raise :class:`ParameterError` naming ``name`` and its range."""
    try:
        if isinstance(value, (bool, str, bytes)):
            raise TypeError
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number{_range_text(low, high)}, got {show_value(value)}") from None
    if out != out or out in (float("inf"), float("-inf")):
        raise ParameterError(f"{name} must be a finite number, got {show_value(value)}")
    if (low is not None and out < low) or (high is not None and out > high):
        raise ParameterError(f"{name} must be{_range_text(low, high)}, got {out:g}")
    return out


def _is_integral(value) -> bool:
    if isinstance(value, int):
        return True
    try:
        return float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        return False


def _num(x) -> str:
    """A bound as people read it: whole numbers in full (4294967295, not 4.29497e+09)."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:g}"


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f" between {_num(low)} and {_num(high)}"
    if low is not None:
        return f" >= {_num(low)}"
    if high is not None:
        return f" <= {_num(high)}"
    return ""
