"""Handlers that take and return named values, as Gradio event functions with named parameters.

A handler is ``fn(v: dict) -> dict`` (or a generator of dicts): ``v`` maps each input's name to its value, and
the dict it returns maps output names to values; an output it leaves out stays as it is on the page
(``gr.skip()``). :func:`named` turns it into the positional function Gradio calls, with a signature whose
parameter names are the input names: Gradio names a named endpoint's API parameters after them, so scripts
call it by keyword (``client.predict(audio=..., n_time_masks=3, api_name="/render")``), every parameter
defaulting to its widget's value on the page.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import gradio as gr

_EMPTY = inspect.Parameter.empty


def _signature(names: Sequence[str], defaults: dict) -> inspect.Signature:
    return inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                default=defaults.get(n, _EMPTY)) for n in names])


def _ordered(out: dict, outputs: Sequence[str]):
    unknown = set(out) - set(outputs)
    if unknown:
        raise KeyError(f"outputs not wired to this event: {sorted(unknown)}")
    values = tuple(out.get(name, gr.skip()) for name in outputs)
    return values[0] if len(outputs) == 1 else values


def named(fn: Callable[[dict], dict], inputs: Sequence[str], outputs: Sequence[str], *,
          defaults: dict | None = None) -> Callable:
    """``fn`` as a function of the inputs ``inputs`` returning the outputs ``outputs`` (a tuple, in order).

    Gradio calls it positionally; Python callers may also pass keywords, and leave out those in ``defaults``
    (trailing ones first when positional). ``.inputs``, ``.outputs`` and ``.fn`` say how it is wired.
    """
    inputs, outputs = tuple(inputs), tuple(outputs)
    # Defaults only on a tail of the parameters, as Python requires.
    defaults = dict(defaults or {})
    for i, name in enumerate(inputs):
        if name not in defaults:
            for earlier in inputs[:i]:
                defaults.pop(earlier, None)
    signature = _signature(inputs, defaults)

    def values(args, kwargs) -> dict:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def handler(*args, **kwargs):
            for out in fn(values(args, kwargs)):
                yield _ordered(out, outputs)

    else:

        @functools.wraps(fn)
        def handler(*args, **kwargs):
            return _ordered(fn(values(args, kwargs)), outputs)

    handler.__signature__ = signature  # what Gradio names the API parameters after
    handler.__annotations__ = {}
    handler.inputs, handler.outputs, handler.fn = inputs, outputs, fn
    return handler
