"""Where the lab reaches past Gradio's documented API: what each reach saves, how it is checked, its fallback.

1. :func:`page_event` (the page's render event): the widgets' pre- and postprocessing in the handler's own
   thread (:func:`processed_here`), and the players' WAVs handed over without Gradio's ffprobe check.
   Saves ~9 ms a slider move (Gradio gives each of the event's 25 inputs and 9 outputs a worker-thread hop:
   ~10 ms before the work and ~10 ms a step on two busy cores, ``GRADIO_PROFILING``), and 56 ms a clip
   wherever ffmpeg is installed (as on Spaces), a third of the slider's audio latency. Reaches: a data
   model's ``model_validate(..., context={"validate_meta": True})`` (Gradio's own call before
   ``preprocess``), the ``"__type__": "update"`` key of ``gr.update()`` dicts. Fallback: the event with
   Gradio's own processing (``preprocess=True``), when :func:`fast_events_supported` is False.
2. :func:`deadline` (every render): a render stops once its client cancels or disconnects. Saves the rest
   of an abandoned render: up to ``MELWAV_MAX_REQUEST_S`` (90 s) of one of the server's two cores.
   Gradio has no public way for a running function to ask whether its client is gone (``gr.Request``'s
   connection is the one that queued the job; Gradio stops a generator only between its steps). Reaches:
   ``gradio.context.LocalContext.blocks`` / ``.event_id``, ``Blocks._queue.active_jobs``, ``Event._id`` /
   ``.alive``. Fallback: the wall-time limit alone (:func:`client_watch_supported` False).

``tests/test_compat.py`` fails loudly when Gradio changes any of these (each item's check and behaviour).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import pathlib

import gradio as gr

from melwav import limits

from .messages import messages_for

log = logging.getLogger("melwav.app")


def fast_events_supported() -> bool:
    """Whether this Gradio has what :func:`processed_here` relies on (checked once, at build time)."""
    try:
        audio = gr.Audio(type="filepath", render=False)
        return (gr.update(value=1).get("__type__") == "update" and gr.skip().get("__type__") == "update"
                and hasattr(audio.data_model, "model_validate") and hasattr(audio, "stateful"))
    except Exception:  # noqa: BLE001 - any change means: use Gradio's own processing
        return False


def page_event(fn, inputs, outputs) -> dict:
    """The fn/processing settings of an event: :func:`processed_here` when this Gradio supports it, else
    Gradio's own pre- and postprocessing (the same values; ~9 ms + 56 ms a clip later on the page's render,
    and a refused value logs Gradio's traceback instead of one line)."""
    if fast_events_supported():
        return dict(fn=processed_here(fn, inputs, outputs), preprocess=False, postprocess=False)
    log.warning("this Gradio lacks what the page's fast render event uses; using Gradio's own processing")
    return dict(fn=fn)


#: Longest pack of the controls' values the page may send (20 values: a few hundred characters).
MAX_PACK_CHARS = 4000
BAD_PACK = "The page sent settings it cannot read; reload the page."


def unpacked(pack, widgets) -> list:
    """The widgets' values from the page's pack (a JSON list of their raw values, in order), each through its
    widget's own preprocessing (range, choices), as if each had been an input of the event.

    One input instead of twenty: Gradio's page re-sends a loading status to every input of every event that
    has completed, at each message of each event, and gathers a copy of each input's properties.
    """
    if not isinstance(pack, str) or len(pack) > MAX_PACK_CHARS:
        raise gr.Error(BAD_PACK, print_exception=False)
    try:
        raw = json.loads(pack)
    except ValueError:
        raise gr.Error(BAD_PACK, print_exception=False) from None
    if not isinstance(raw, list) or len(raw) != len(widgets):
        raise gr.Error(BAD_PACK, print_exception=False)
    return [_preprocessed(w, v) for w, v in zip(widgets, raw)]


def unpacking(fn, index: int, widgets):
    """``fn`` (a generator handler or a plain one) called with the pack at ``index`` expanded (:func:`unpacked`)."""

    def expanded(args):
        return (*args[:index], *unpacked(args[index], widgets), *args[index + 1:])

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def wrapper(*args):
            yield from fn(*expanded(args))

    else:

        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*expanded(args))

    # Gradio reads the event's parameters from the signature: the pack's one in the widgets' place.
    params = [p.replace(default=inspect.Parameter.empty) for p in inspect.signature(fn).parameters.values()]
    wrapper.__signature__ = inspect.Signature(
        [*params[:index], inspect.Parameter("controls", inspect.Parameter.POSITIONAL_OR_KEYWORD),
         *params[index + len(widgets):]])
    return wrapper


def _preprocessed(component, raw):
    """What Gradio's preprocessing makes of a widget's raw value (its checks included: range, choices)."""
    if component.stateful:
        return raw  # a State's value is the session's own object
    data_model = getattr(component, "data_model", None)
    if data_model is not None and raw is not None:
        raw = data_model.model_validate(raw, context={"validate_meta": True})  # already checked by Gradio
    try:
        return component.preprocess(raw)
    except gr.Error as exc:  # Gradio's own check refused it: one line in the log, the same message on the page
        log.warning("refused an out-of-range value: %s", exc.message)
        raise gr.Error(exc.message, print_exception=False) from None


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
    """``fn`` (a generator handler or a plain one) with its widgets' pre- and postprocessing done in its own thread.

    For an event declared with ``preprocess=False, postprocess=False``. Gradio runs each component's
    preprocess and postprocess in a worker thread of its own: for the page's 25 inputs and 9 outputs that
    cost ~10 ms before the work and ~10 ms for each step on two busy cores, measured with
    ``GRADIO_PROFILING``. The same calls run here in one thread; Gradio still checks uploaded files'
    paths and moves the outputs' files into its cache. A value Gradio's own checks refuse (a slider out of
    its range, a choice not offered) is one line in the log, not a traceback.
    """
    many = len(outputs) != 1

    def post(out):
        return tuple(_postprocessed(c, v) for c, v in zip(outputs, out)) if many else _postprocessed(outputs[0], out)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def steps(*raw):
            with messages_for(fn.__name__):
                values = [_preprocessed(c, v) for c, v in zip(inputs, raw)]
                for out in fn(*values):
                    yield post(out)

        return steps

    @functools.wraps(fn)
    def call(*raw):
        with messages_for(fn.__name__):
            return post(fn(*[_preprocessed(c, v) for c, v in zip(inputs, raw)]))

    return call


def _event_jobs(blocks, event_id):
    """The running jobs of ``event_id`` in Gradio's queue, or None when this Gradio keeps them elsewhere."""
    try:
        return [job for job_set in blocks._queue.active_jobs if job_set for job in job_set if job._id == event_id]
    except AttributeError:
        return None


def _current_event():
    """(blocks, event id) of the event this thread runs, or (None, None) outside one or on another Gradio."""
    try:
        from gradio.context import LocalContext
    except ImportError:
        return None, None
    blocks, event_id = getattr(LocalContext, "blocks", None), getattr(LocalContext, "event_id", None)
    if blocks is None or event_id is None:
        return None, None
    return blocks.get(None), event_id.get(None)


def client_watch_supported() -> bool:
    """Whether this Gradio has what :func:`deadline` watches (checked outside an event: the names only)."""
    try:
        from gradio.context import LocalContext
        from gradio.queueing import Event, Queue
    except ImportError:
        return False

    return (hasattr(LocalContext, "blocks") and hasattr(LocalContext, "event_id")
            and "self.active_jobs" in inspect.getsource(Queue.__init__)
            and "self._id" in inspect.getsource(Event.__init__) and "self.alive" in inspect.getsource(Event.__init__))


def deadline() -> limits.Deadline:
    """This request's bound: the server's wall-time limit, and stop once its visitor has gone.

    Gradio marks a running job dead (``alive = False``) or drops it from its active jobs when its client
    disconnects or cancels; the reconstruction loop asks once per iteration.
    """
    blocks, event_id = _current_event()
    watch = blocks is not None and event_id is not None and bool(_event_jobs(blocks, event_id))

    def gone() -> bool:
        current = _event_jobs(blocks, event_id)
        return current is not None and not any(job.alive for job in current)

    return limits.Deadline(limits.server_max_seconds(), gone=gone if watch else None)
