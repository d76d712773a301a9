"""melwav's errors (and a bug's) as one message on the page: never a traceback, a server path or raw HTML."""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import logging
import re

import gradio as gr

from melwav import limits
from melwav.errors import DiskFullError, MelwavError

log = logging.getLogger("melwav.app")

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def inert(text) -> str:
    """A message made safe for a toast (Gradio renders them as HTML): tags and entities show as typed."""
    return _TAG_START.sub(lambda m: "&lt;" if m.group() == "<" else "&amp;", str(text))


@contextlib.contextmanager
def messages_for(name: str):
    """Inside it, melwav's own errors (and a bug's) become one ``gr.Error`` message; ``name`` is for the log."""
    try:
        yield
    except gr.Error:
        raise
    except DiskFullError:  # its message names the server's folder
        log.error("no space left on the server's disk (%s)", name)
        raise gr.Error("The server's disk is full; try again in a few minutes.", print_exception=False) from None
    except MelwavError as exc:
        raise gr.Error(inert(exc), print_exception=False) from None
    except MemoryError:
        raise gr.Error("That needs more memory than this server has; try a shorter clip.",
                       print_exception=False) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            log.error("no space left on the server's disk (%s)", name)
            raise gr.Error("The server's disk is full; try again in a few minutes.", print_exception=False) from None
        log.exception("unexpected OS error in %s", name)
        raise gr.Error(f"The server could not read or write a file ({type(exc).__name__}); try again.",
                       print_exception=False) from None
    except Exception as exc:  # a bug: log it for us, say something useful to the person
        log.exception("unexpected error in %s", name)
        raise gr.Error(f"Something went wrong inside melwav ({type(exc).__name__}); try other settings.",
                       print_exception=False) from None
    finally:
        limits.release_memory_when_quiet()


def friendly(fn):
    """Show melwav's own errors as a message in the page; never a traceback, a server path or raw HTML.

    Works on generator functions too (an event that yields its outputs in steps): an error at any step is
    one message, and the outputs already yielded stay on the page. The wrapper of a generator function is
    itself one, so Gradio still streams its steps.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def steps(*args, **kwargs):
            with messages_for(fn.__name__):
                yield from fn(*args, **kwargs)

        return steps

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with messages_for(fn.__name__):
            return fn(*args, **kwargs)

    return wrapper
