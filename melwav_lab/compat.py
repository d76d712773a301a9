"""Where the lab reaches into Gradio beyond its documented API."""

from __future__ import annotations

import functools
import inspect
import logging
import pathlib

import gradio as gr

from melwav import limits

from .messages import messages_for

log = logging.getLogger("melwav.app")

_GRADIO_BOUNDS = getattr(gr.Number.raise_if_out_of_bounds, "__wrapped__", gr.Number.raise_if_out_of_bounds)


@functools.wraps(_GRADIO_BOUNDS)
def _bounds_one_line(num, minimum, maximum):
    """Gradio's range check of sliders and numbers, logging one line per refusal instead of a traceback."""
    try:
        _GRADIO_BOUNDS(num, minimum, maximum)
    except gr.Error as exc:
        log.warning("refused an out-of-range value: %s", exc.message)
        raise gr.Error(exc.message, print_exception=False) from None


gr.Number.raise_if_out_of_bounds = staticmethod(_bounds_one_line)


def _preprocessed(component, raw):
    """What Gradio's preprocessing makes of a widget's raw value (its checks included: range, choices)."""
    if component.stateful:
        return raw  # a State's value is the session's own object
    data_model = getattr(component, "data_model", None)
    if data_model is not None and raw is not None:
        raw = data_model.model_validate(raw, context={"validate_meta": True})  # already checked by Gradio
    return component.preprocess(raw)


def _postprocessed(component, value):
    """What Gradio's postprocessing makes of an output value (a ``gr.update`` keeps its other properties).

    A player's WAV is handed over as it is: melwav wrote it (16-bit PCM, which every browser plays), and
    ``gr.Audio.postprocess`` would run ffprobe on it to find that out wherever ffmpeg is installed, as on
    Spaces: 56 ms a clip measured here, a third of the slider's audio latency.
    """
    if component.stateful:
        return value
    if isinstance(value, dict) and value.get("__type__") == "update":
        if "value" not in value:
            return value  # gr.skip() or a property change only
        return {**value, "value": _postprocessed(component, value["value"])}
    if isinstance(component, gr.Audio) and isinstance(value, (str, pathlib.Path)) and str(value).endswith(".wav"):
        return gr.FileData(path=str(value), orig_name=pathlib.Path(value).name).model_dump()
    out = component.postprocess(value)
    return out.model_dump() if hasattr(out, "model_dump") else out


def processed_here(fn, inputs, outputs):
    """``fn`` (a generator handler) with its widgets' pre- and postprocessing done in its own thread.

    For an event declared with ``preprocess=False, postprocess=False``. Gradio runs each component's
    preprocess and postprocess in a worker thread of its own: for the page's 25 inputs and 9 outputs that
    cost ~10 ms before the work and ~10 ms for each step on two busy cores, measured with
    ``GRADIO_PROFILING``. The same calls run here in one thread; Gradio still checks uploaded files'
    paths and moves the outputs' files into its cache.
    """

    @functools.wraps(fn)
    def steps(*raw):
        with messages_for(fn.__name__):
            values = [_preprocessed(c, v) for c, v in zip(inputs, raw)]
            for out in fn(*values):
                yield tuple(_postprocessed(c, v) for c, v in zip(outputs, out))

    return steps


def deadline() -> limits.Deadline:
    """This request's bound: the server's wall-time limit, and stop once its visitor has gone.

    Gradio marks a running job dead (``alive = False``) when its client disconnects or cancels; the
    reconstruction loop asks this once per iteration.
    """
    from gradio.context import LocalContext

    blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)

    def jobs():
        try:
            return [job for job_set in blocks._queue.active_jobs if job_set for job in job_set if job._id == event_id]
        except AttributeError:  # another Gradio version: keep only the time limit
            return None

    # Gradio drops a job from its active jobs (or marks it dead) when its client cancels or disconnects.
    watch = blocks is not None and event_id is not None and bool(jobs())

    def gone() -> bool:
        current = jobs()
        return current is not None and not any(job.alive for job in current)

    return limits.Deadline(limits.server_max_seconds(), gone=gone if watch else None)


def page_event(fn, inputs, outputs) -> dict:
    """The fn/processing settings of an event: a generator's widgets' processing in one thread
    (:func:`processed_here`), Gradio's own for the others."""
    if not inspect.isgeneratorfunction(fn):
        return dict(fn=fn)
    return dict(fn=processed_here(fn, inputs, outputs), preprocess=False, postprocess=False)
