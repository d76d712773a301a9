"""melwav in the browser: hear what SpecAugment does, side by side (Gradio).

This file only wires widgets to :mod:`melwav` and turns its errors into messages on the page; the
signal processing, caching and files live in the package (mostly :mod:`melwav.lab`).
Run: ``melwav-lab`` (installed), or ``python app.py`` in a checkout / as a Hugging Face Space.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import html
import inspect
import json
import logging
import os
import pathlib
import random
import re
import tempfile

import gradio as gr

import melwav
from melwav import demofile, frameworks, lab, limits, pipeline
from melwav.errors import DiskFullError, MelwavError
from melwav.explain import escape_markdown
from melwav.features import MelSettings
from melwav.frameworks import fill_explanation
from melwav.reconstruction import DEFAULT_METHOD, METHODS
from melwav.specaugment import FILL_MODES, POLICIES, AugmentRecord, conventions

HERE = pathlib.Path(__file__).resolve().parent


def _assets_dir() -> pathlib.Path:
    """The bundled clips: package data in an installed lab, the repository's ``assets/`` in a checkout."""
    installed = HERE / "assets"
    return installed if (installed / "speech.wav").exists() else HERE.parent / "assets"


ASSETS = _assets_dir()
EXAMPLES = [[str(ASSETS / "speech.wav")], [str(ASSETS / "music.wav")]]
MAX_DURATION_S = float(os.environ.get("MELWAV_MAX_DURATION_S", "30"))
MAX_FILE_SIZE = os.environ.get("MELWAV_MAX_FILE_SIZE", "25mb")
VARIETY_N = 8
MAX_TOASTS = 4  # notes shown as toasts per render (all of them are in "What was drawn")
log = logging.getLogger("melwav.app")

ABOUT = (pathlib.Path(melwav.__file__).parent / "about.md").read_text(encoding="utf-8")


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def inert(text) -> str:
    """A message made safe for a toast (Gradio renders them as HTML): tags and entities show as typed."""
    return _TAG_START.sub(lambda m: "&lt;" if m.group() == "<" else "&amp;", str(text))


@contextlib.contextmanager
def _messages_for(name: str):
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
            with _messages_for(fn.__name__):
                yield from fn(*args, **kwargs)

        return steps

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _messages_for(fn.__name__):
            return fn(*args, **kwargs)

    return wrapper


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
        with _messages_for(fn.__name__):
            values = [_preprocessed(c, v) for c, v in zip(inputs, raw)]
            for out in fn(*values):
                yield tuple(_postprocessed(c, v) for c, v in zip(outputs, out))

    return steps


def _deadline() -> limits.Deadline:
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


def _settings(sr, n_fft, hop, n_mels) -> MelSettings:
    return MelSettings(sr=int(sr), n_fft=int(n_fft), hop_length=int(hop), n_mels=int(n_mels))


def _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db, convention,
            held=None):
    """The sliders' config, plus the imported recipe's own settings that have no slider (``held["recipe"]``).

    Those (WeNet's spec_sub, lhotse's p, SpeechBrain's order, ...) are converted to ``settings`` anew on every
    call, and apply only while the draw rules are still the recipe's framework.
    """
    config = lab.config_from_units(
        settings, warp_ms=warp_ms, freq_mask_bands=freq_bands, n_freq_masks=n_freq, time_mask_ms=time_ms,
        n_time_masks=n_time, max_time_ratio=p, width_ratio=width_ratio, masks_per_frame=per_frame, fill=fill,
        fill_db=fill_db, convention=convention,
    )
    recipe = _recipe(held, convention)
    return config.replace(extra=recipe.to_config(settings).extra) if recipe is not None else config


def _recipe(held, framework):
    """The recipe imported last, if it is ``framework``'s (else None)."""
    recipe = (held or {}).get("recipe")
    return recipe if recipe is not None and recipe.framework == framework else None


def _n_iter(value):
    return None if value is None or int(value) < 0 else int(value)


def _check_cost(audio, settings, method, n_iter, show_rebuilt):
    """Over the limits whatever is cached: refused from the file's header, before decoding it."""
    pipeline.check_file_render(audio, settings=settings, max_duration_s=MAX_DURATION_S, method=method,
                               n_iter=_n_iter(n_iter), rebuilt_mel=bool(show_rebuilt), budget=limits.server_budget())


def _prepare(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db,
             convention, seed, keep, sr, n_fft, hop, n_mels, held):
    """The clip, config, seed and (with "keep this draw") the held record of one render."""
    settings = _settings(sr, n_fft, hop, n_mels)
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                     fill_db, convention, held)
    seed = lab.parse_seed(seed)
    record = None
    if keep and held and held.get("record"):
        record = kept_record(held["record"], config)
        if (record.n_mels, record.n_frames) != (analysis.n_mels, analysis.n_frames):
            gr.Warning("The kept draw was made for another clip or analysis; drawing anew.")
            record = None
        else:
            seed = int(held.get("seed", seed))
    return analysis, config, seed, record


def _players(original_wav, original_rebuilt_wav, augmented_wav, original_sc_db, augmented_sc_db):
    """Updates of the three players (None: that clip did not change, leave the player as it is)."""
    return (
        gr.update(value=str(original_wav)) if original_wav is not None else gr.skip(),
        gr.update(value=str(original_rebuilt_wav), label=f"2 · original mel rebuilt · SC {original_sc_db:.1f} dB")
        if original_rebuilt_wav is not None else gr.skip(),
        gr.update(value=str(augmented_wav), label=f"3 · augmented mel rebuilt · SC {augmented_sc_db:.1f} dB"),
    )


def kept_record(record: dict, config) -> AugmentRecord:
    """The held draw ("Keep this draw"): its positions and widths, with the current fill."""
    return dataclasses.replace(AugmentRecord.from_dict(record), fill=config.fill, fill_db=config.fill_db)


def new_notes(held, clip_key, notes) -> tuple[list[str], list[str]]:
    """The notes not yet shown as a message for this clip and analysis, and all shown so far."""
    shown = list(held.get("shown", [])) if held and held.get("clip") == clip_key else []
    fresh = [n for n in dict.fromkeys(notes) if n not in shown]
    return fresh, shown + fresh


def clip_notes(notes, description: str = "") -> str:
    """The notes not already in ``description``, kept in the page under it (a message shows each only once)."""
    notes = [text for text in dict.fromkeys(escape_markdown(n) for n in notes) if text not in description]
    return "\n\n**Notes on this clip:** " + "; ".join(notes) + "." if notes else ""


def _drawn(held, analysis, record, seed, notes, axes, **more) -> dict:
    """Show the notes not yet shown for this clip (a few, as messages); the page's state for the new draw.

    The imported recipe (``held["recipe"]``) carries over to the new state.
    """
    fresh, shown = new_notes(held, analysis.key, notes)
    for note in fresh[:MAX_TOASTS]:
        gr.Info(inert(note))
    return {"record": record.to_dict(), "seed": seed, "clip": analysis.key, "shown": shown, "axes": axes,
            "recipe": (held or {}).get("recipe"), **more}


_UNIT_KEYS = ("warp_ms", "n_freq_masks", "freq_mask_bands", "n_time_masks", "time_mask_ms", "max_time_ratio",
              "width_ratio", "masks_per_frame")


@friendly
def render(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db,
           convention, method, n_iter, seed, keep, sr, n_fft, hop, n_mels, show_rebuilt, held):
    """Augment the clip's log-mel and rebuild audio from the original and the augmented mel, in one call.

    The ``/render`` endpoint for scripts; the page runs the same work in :func:`render_page`, which shows
    the picture before the audio is rebuilt.
    """
    if not audio:
        return tuple(gr.skip() for _ in range(8))
    _check_cost(audio, _settings(sr, n_fft, hop, n_mels), method, n_iter, show_rebuilt)
    analysis, config, seed, record = _prepare(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio,
                                              per_frame, fill, fill_db, convention, seed, keep, sr, n_fft, hop,
                                              n_mels, held)
    view = lab.render_view(analysis, config, seed=seed, method=method, n_iter=_n_iter(n_iter), record=record,
                           policy_name=lab.matching_policy(config, analysis.settings),
                           show_rebuilt_mel=bool(show_rebuilt), budget=limits.server_budget(), cancel=_deadline())
    held = _drawn(held, analysis, view.record, view.seed, view.notes, view.axes)
    return (str(view.figure_png), view.description + clip_notes(view.notes, view.description), view.bounds,
            *_players(view.original_wav, view.original_rebuilt_wav, view.augmented_wav, view.original_sc_db,
                      view.augmented_sc_db),
            [str(p) for p in view.downloads], held)


#: render_page's outputs: the picture's (plot, drawn, bounds, held), then the audio's.
PAGE_OUTPUTS = ("plot", "drawn", "bounds", "held", "a_orig", "a_orig_rebuilt", "a_aug", "pending_downloads",
                "players_key")


@friendly
def render_page(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db,
                convention, method, n_iter, seed, keep, sr, n_fft, hop, n_mels, show_rebuilt, held, players=(),
                theme="light"):
    """A render on the page, in one event: the picture first, then, in the same call, the audio.

    Yields twice, each time the outputs of :data:`PAGE_OUTPUTS` (``gr.skip()`` for those a step leaves as
    they are). First the draw, its figure, description and bounds and the held draw (tens of ms, no
    reconstruction), so the page shows the figure at once; then the rebuilt audio: the players (the two
    unaugmented ones only when ``players``, the key of the clips the page has, changes), the downloads
    to write (:func:`show_downloads`, chained after this event) and the players' new key, and the figure
    again when it has the rebuilt-mel panel. ``theme`` ("light"/"dark") is set by the page (``THEME_JS``).
    """
    if not audio:
        # The clip was cleared (or is being replaced): keep what is on the page rather than raise.
        yield tuple(gr.skip() for _ in PAGE_OUTPUTS)
        return
    settings = _settings(sr, n_fft, hop, n_mels)
    _check_cost(audio, settings, method, n_iter, show_rebuilt)
    analysis, config, seed, record = _prepare(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio,
                                              per_frame, fill, fill_db, convention, seed, keep, sr, n_fft, hop,
                                              n_mels, held)
    policy_name = lab.matching_policy(config, analysis.settings)
    theme = theme if theme in ("light", "dark") else "light"
    # Called through the module (lab.render_picture, lab.render_sound): bench/latency.py times them there.
    pic = lab.render_picture(analysis, config, seed=seed, record=record, policy_name=policy_name, theme=theme,
                             show_rebuilt_mel=bool(show_rebuilt))
    held = _drawn(held, analysis, pic.record, pic.seed, pic.notes, pic.axes, figure=str(pic.figure_png),
                  policy=policy_name, theme=theme)
    yield (str(pic.figure_png), pic.description + clip_notes(pic.notes, pic.description), pic.bounds, held,
           *(gr.skip() for _ in PAGE_OUTPUTS[4:]))
    snd = lab.render_sound(analysis, config, pic.record, seed=pic.seed, method=method, n_iter=_n_iter(n_iter),
                           policy_name=policy_name, figure_png=pic.figure_png, theme=theme,
                           show_rebuilt_mel=bool(show_rebuilt), downloads=False, players_key=tuple(players or ()),
                           budget=limits.server_budget(), cancel=_deadline())
    # The downloads are written in the next event (show_downloads), so the players do not wait for them.
    pending = {"analysis": analysis, "rendered": snd.rendered, "figure": snd.figure_png or pic.figure_png,
               "policy": policy_name}
    yield (str(snd.figure_png) if snd.figure_png is not None else gr.skip(), gr.skip(), gr.skip(), gr.skip(),
           *_players(snd.original_wav, snd.original_rebuilt_wav, snd.augmented_wav, snd.original_sc_db,
                     snd.augmented_sc_db), pending, snd.players_key)


@friendly
def show_downloads(pending, shown=True):
    """Write the downloads of the audio just rebuilt into the file list, while the Downloads tab is open (``shown``).

    Chained after :func:`render_page`, and run when the tab is opened (:func:`tab_opened`). Written only for
    someone looking at them: right after a render, writing and caching four files competed with the
    browser's download of the player's new WAV (~20 ms later audio, ``bench/latency.py``).
    """
    if not shown or not pending or pending.get("rendered") is None:
        return gr.skip()
    paths = lab.write_downloads(pending["analysis"], pending["rendered"], figure_png=pending["figure"],
                                policy_name=pending["policy"])
    return [str(p) for p in paths]


def tab_opened(pending, evt: gr.SelectData):
    """A tab was opened: whether it is the Downloads tab (kept in the page), and if so its files, written now."""
    shown = evt.value == "Downloads"
    return shown, show_downloads(pending, shown)


@friendly
def fill_policy(name, sr, n_fft, hop, n_mels):
    """Set the sliders to a preset, converted to the current hop and number of mel bands ("custom": as they are)."""
    if name not in POLICIES:
        return tuple(gr.skip() for _ in _UNIT_KEYS)
    settings = _settings(sr, n_fft, hop, n_mels)
    u = lab.policy_units(name, settings)
    return tuple(u[k] for k in _UNIT_KEYS)


@friendly
def analysis_changed(name, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, sr, n_fft, hop,
                     n_mels, held):
    """A new analysis: a preset is converted anew; hand-set values keep their durations and share of the mel scale."""
    if name in POLICIES:
        return fill_policy(name, sr, n_fft, hop, n_mels)
    settings = _settings(sr, n_fft, hop, n_mels)
    before = int((held or {}).get("record", {}).get("n_mels") or settings.n_mels)
    units = dict(zip(_UNIT_KEYS, (warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame)))
    u = lab.convert_units(units, n_mels_from=before, settings=settings)
    return tuple(u[k] for k in _UNIT_KEYS)


def new_seed():
    return random.randint(0, 999_999)


@friendly
def solo(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db, convention,
         seed, sr, n_fft, hop, n_mels, method, n_iter, held, theme="light"):
    """The current draw's time warp, frequency masks and time masks, each heard (and pictured) on its own.

    The page's current draw when there is one for this clip; otherwise (a first API call) the draw the
    settings and seed give, as /render would make it.
    """
    settings = _settings(sr, n_fft, hop, n_mels)
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    if held and held.get("record") and held.get("clip") == analysis.key:
        record, seed = AugmentRecord.from_dict(held["record"]), int(held.get("seed", 0))
    else:
        config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                         fill_db, convention, held)
        seed = lab.parse_seed(seed)
        record = pipeline.draw_for(analysis, config, seed=seed)
    pipeline.check_render(analysis, method=method, n_iter=_n_iter(n_iter), n_renders=3,
                          budget=limits.server_budget())
    cancel = _deadline()
    theme = theme if theme in ("light", "dark") else "light"
    outs, mels, pictures = [], [], []
    for op in ("warp", "freq", "time"):
        wav, mel, png, sc = lab.render_solo(analysis, record, op, seed=seed, method=method, n_iter=_n_iter(n_iter),
                                            theme=theme, cancel=cancel)
        outs.append(gr.update(value=str(wav), label=f"{_SOLO_LABEL[op]} · SC {sc:.1f} dB"))
        mels.append(str(mel))
        pictures.append((str(png), _SOLO_LABEL[op]))
    return (*outs, mels, pictures)


_SOLO_LABEL = {"warp": "time warp only", "freq": "frequency masks only", "time": "time masks only"}


@friendly
def variety(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db,
            convention, seed, sr, n_fft, hop, n_mels, held=None, theme="light"):
    """Eight draws of the current settings, to see the variety of a policy."""
    settings = _settings(sr, n_fft, hop, n_mels)
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                     fill_db, convention, held)
    draws = lab.variety(analysis, config, first_seed=lab.parse_seed(seed), n=VARIETY_N, budget=limits.server_budget(),
                        theme=theme if theme in ("light", "dark") else "light")
    return [(str(png), f"seed {s}") for png, s, _ in draws], [s for _, s, _ in draws]


def pick_draw(seeds, evt: gr.SelectData):
    """Clicking a thumbnail makes its seed the current draw."""
    if not seeds or evt.index is None:
        raise gr.Error("Make a grid of draws first.")
    index = evt.index if isinstance(evt.index, int) else evt.index[0]
    return seeds[index], False


#: A demo file's clip is at most this big (the upload cap is separate: MELWAV_MAX_FILE_SIZE).
DEMO_MAX_BYTES = 50_000_000
BUNDLED = {pathlib.Path(row[0]).name: row[0] for row in EXAMPLES}


def _bundled_clip(params, audio):
    """The bundled example the params name, when the current clip is not the one they were made for."""
    name = str(params.clip.get("name") or "")
    if name not in BUNDLED:
        return None
    if audio and pathlib.Path(str(audio)).name == name:
        return None
    return BUNDLED[name]


@friendly
def load_params(file, audio, sr, n_fft, hop, n_mels):
    """Open a prepared demo: a params JSON (its clip: the current one, or a bundled example it names) or a demo
    .zip (clip + params). Restores the clip, the settings and the exact draw."""
    if file is None:
        raise gr.Error("Choose a params .json or a demo .zip file first.")
    clip_update = gr.skip()
    if str(file).lower().endswith(".zip"):
        clip, params = demofile.read_demo(file, lab.new_output_dir(), max_bytes=DEMO_MAX_BYTES)
        audio = clip_update = str(clip)
    else:
        params = pipeline.read_params(file)
        bundled = _bundled_clip(params, audio)
        if bundled:
            audio = clip_update = bundled
    settings = params.settings
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    pipeline.check_fits(params, analysis)
    u = lab.units_from_config(params.config, settings)
    held = {"record": params.record.to_dict(), "seed": params.seed, "clip": analysis.key}
    policy_name = params.policy if params.policy in POLICIES else "custom"
    return (
        policy_name, u["warp_ms"], u["n_freq_masks"], u["freq_mask_bands"], u["n_time_masks"], u["time_mask_ms"],
        u["max_time_ratio"], u["width_ratio"], u["masks_per_frame"], u["fill"], u["fill_db"], params.config.convention,
        params.method, params.n_iter if params.n_iter is not None else -1, params.seed, True,
        settings.sr, settings.n_fft, settings.hop_length, settings.n_mels, held, clip_update,
    )


def opened_demo(file, audio, sr, n_fft, hop, n_mels):
    """The page's first step of opening a demo: :func:`load_params`'s values, kept in a State."""
    return load_params(file, audio, sr, n_fft, hop, n_mels)


@friendly
def make_demo(audio, files):
    """This clip and the current draw's params in one .zip, which "Open a prepared demo" restores in one step."""
    params_json = next((f for f in files or [] if str(f).endswith(".json")), None)
    if not audio or params_json is None:
        raise gr.Error("Render a draw first (pick an example or upload a clip).")
    stem = pathlib.Path(str(params_json)).stem
    return str(demofile.write_demo(lab.new_output_dir() / f"{stem}_demo.zip", clip=audio, params_json=params_json))


#: The sliders' upper ends; an imported recipe beyond one widens that slider instead of being cut.
SLIDER_TOP = {"warp_ms": 2000, "n_freq_masks": 20, "freq_mask_bands": 128, "n_time_masks": 40,
              "time_mask_ms": 3000, "max_time_ratio": 1, "width_ratio": 0.3, "masks_per_frame": 0.1}
_IMPORT_ORDER = ("warp_ms", "n_freq_masks", "freq_mask_bands", "n_time_masks", "time_mask_ms", "max_time_ratio",
                 "width_ratio", "masks_per_frame")
RECIPE_EXAMPLE = """# ESPnet LibriSpeech conformer (train_asr_conformer10_hop_length160.yaml): replace with your own
frontend_conf:
    hop_length: 160          # 10 ms frames at 16 kHz
specaug: specaug
specaug_conf:
    apply_time_warp: true
    time_warp_window: 5
    time_warp_mode: bicubic
    freq_mask_width_range: [0, 27]
    num_freq_mask: 2
    time_mask_width_ratio_range: [0., 0.05]
    num_time_mask: 10
"""


def _framework_units(hop_ms, n_mels):
    """Blank or 0 in the framework-unit boxes means "the config's, else the framework's default"."""
    hop_ms = None if hop_ms in (None, "") or float(hop_ms) <= 0 else float(hop_ms)
    n_mels = None if n_mels in (None, "") or int(n_mels) <= 0 else int(n_mels)
    return hop_ms, n_mels


def _slider(key, value):
    top = SLIDER_TOP[key]
    return gr.update(value=value, maximum=value) if value > top else value


@friendly
def import_recipe_handler(text, framework, fw_hop_ms, fw_n_mels, fill_db, sr, n_fft, hop, n_mels, held=None):
    """Read a training config's SpecAugment settings and set the sliders to them (converted to this analysis).

    Returns the policy ("custom"), the eight size sliders, fill, fill level, draw rules, a Markdown report,
    and ``held`` with the recipe (for its settings that have no slider, and an exact export).
    """
    settings = _settings(sr, n_fft, hop, n_mels)
    hop_ms, mels = _framework_units(fw_hop_ms, fw_n_mels)
    recipe = frameworks.import_recipe(text or "", framework=None if framework in (None, "", "auto") else framework,
                                      hop_ms=hop_ms, n_mels=mels)
    config = recipe.to_config(settings, fill_db=float(fill_db) if fill_db is not None else -80.0)
    u = lab.units_from_config(config, settings)
    lines = [f"**Imported: {recipe.framework}** (its frames: {recipe.hop_ms:g} ms, its mel channels: "
             f"{recipe.n_mels}; here: {settings.hop_ms:.3g} ms frames, {settings.n_mels} bands). "
             f"Draw rules set to *{config.convention}*.", ""]
    # Everything below comes from the pasted text: escaped, so its HTML or links show as typed.
    lines += [f"- {escape_markdown(line)}" for line in recipe.describe(settings).splitlines()]
    lines += ["", f"**Fill:** {fill_explanation(config.convention, fill=config.fill, fill_db=config.fill_db)}"]
    notes = recipe.config_notes()
    if notes:
        lines += ["", "**Notes:**", *[f"- {escape_markdown(n)}" for n in notes]]
    sliders = [_slider(key, u[key]) for key in _IMPORT_ORDER]
    return ("custom", *sliders, u["fill"], u["fill_db"], config.convention, "\n".join(lines),
            {**(held or {}), "recipe": recipe})


@friendly
def export_recipe_handler(framework, fw_hop_ms, fw_n_mels, warp_ms, n_freq, freq_bands, n_time, time_ms, p,
                          width_ratio, per_frame, fill, fill_db, convention, sr, n_fft, hop, n_mels, held=None):
    """The current sliders as a training framework's SpecAugment fragment, and what it cannot express.

    Sizes still at what the imported recipe converts to are written as the recipe's own numbers, so an
    import followed by an export gives the recipe back at any analysis.
    """
    settings = _settings(sr, n_fft, hop, n_mels)
    config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                     fill_db, convention, held)
    hop_ms, mels = _framework_units(fw_hop_ms, fw_n_mels)
    text, notes = frameworks.export_recipe(config, settings=settings, framework=framework, hop_ms=hop_ms,
                                           n_mels=mels, recipe=_recipe(held, config.convention))
    d_hop, d_mels = frameworks.default_units(framework)
    head = f"In {framework}'s units: frames of {hop_ms or d_hop:g} ms, {mels or d_mels} mel channels."
    body = "\n".join(f"- {n}" for n in notes) if notes else f"- {framework} can express all of these settings."
    return text, f"{head}\n\n**What {framework} cannot express or draws differently:**\n{body}"


#: Runs in the page before each picture event: its last input (the hidden theme box) becomes the page's theme.
THEME_JS = """
(...args) => { args[args.length - 1] = document.body.classList.contains('dark') ? 'dark' : 'light'; return args; }
"""

def unkeep_js(index: int) -> str:
    """THEME_JS for a main slider's render: its ``index``-th input ("Keep this draw") is read unticked."""
    return (f"(...args) => {{ args[{int(index)}] = false; args[args.length - 1] = "
            "document.body.classList.contains('dark') ? 'dark' : 'light'; return args; }")


SC_HELP = ("**mel rebuilt**: audio made from a mel (phase guessed, Griffin-Lim). **SC** (spectral convergence): "
           "how far a rebuild is from its mel; lower is closer, below -15 dB good.")
POLICY_INFO = "LB, LD: LibriSpeech basic, double · SM, SS: Switchboard mild, strong (Park et al. 2019)"
DRAW_HELP = ("**Seed**: same seed, same draw. **Keep**: hold the masks and warp while the fill or rebuild "
             "change; a main slider draws anew.")


def transport_html(urls=("", "", ""), axes=(), duration_s=None) -> str:
    """The A/B/C transport (web/classroom.js drives it) with its data: three URLs and the figure's panel extents."""
    urls = html.escape(json.dumps([str(u) if u else "" for u in urls]), quote=True)
    axes = html.escape(json.dumps(list(axes or [])), quote=True)
    dur = "" if duration_s is None else f"{float(duration_s):.4f}"
    return (
        f'<div id="abc-box" role="group" aria-label="Compare the three versions in step" data-urls="{urls}" '
        f'data-axes="{axes}" data-duration="{dur}">'
        '<button data-abc="play" class="abc-play" title="Play all three in step (one is heard)">▶ Play</button>'
        '<button data-abc="0" aria-pressed="false" title="Hear the original clip (key 1)">1 original</button>'
        '<button data-abc="1" aria-pressed="false" title="Hear the original mel rebuilt (key 2)">2 rebuilt</button>'
        '<button data-abc="2" aria-pressed="true" title="Hear the augmented mel rebuilt (key 3)">3 augmented</button>'
        '<span class="abc-loop">loop <input data-abc="from" type="number" min="0" step="0.1" aria-label="loop from (s)"'
        ' placeholder="from s"> to <input data-abc="to" type="number" min="0" step="0.1" aria-label="loop to (s)"'
        ' placeholder="to s"> <button data-abc="loop" title="Loop this span (or drag across the figure)">Loop</button>'
        '<button data-abc="whole" title="Play the whole clip">Whole</button></span>'
        '<span class="abc-now" aria-live="off">3 augmented rebuilt · 0.00 s</span></div>'
    )


TRANSPORT_EMPTY = transport_html()


def _file_url(path) -> str:
    return f"gradio_api/file={path}" if path else ""


def transport_update(orig, orig_rebuilt, aug, held):
    """New players' files (or a new figure): hand their URLs and the plot area to the transport."""
    if not aug:
        return gr.skip()
    axes = (held or {}).get("axes") or []
    duration = axes[0]["t1"] if axes else None
    return transport_html([_file_url(orig), _file_url(orig_rebuilt), _file_url(aug)], axes, duration)


TRANSPORT_HINT = ("**Listen:** ▶ plays the three versions in step; keys **1 2 3** switch at the same moment; "
                  "drag across the figure to loop a span.")
TRANSPORT_HELP = (
    "**Compare at the same moment:** ▶ plays all three versions in step; **1 / 2 / 3** (keys or buttons) switches "
    "which one you hear without restarting. **Hear a region:** drag across the figure, or type a span, then loop it."
)


def build() -> gr.Blocks:
    # No analytics: the app must work offline, and a public Space should not phone home for its users.
    with gr.Blocks(title="melwav: hear SpecAugment", delete_cache=(600, 3600), analytics_enabled=False) as demo:
        gr.Markdown("# melwav · hear what SpecAugment does\n\nmasks in cyan, numbered in time order; warp in green.",
                    elem_id="title")
        start = lab.policy_units("LD", MelSettings())
        held = gr.State({})
        theme = gr.Textbox("light", visible=False, label="page theme")  # set by THEME_JS before each render
        pending_downloads = gr.State({})  # render_page -> show_downloads
        downloads_shown = gr.State(False)  # whether the Downloads tab is open (tab_opened)
        players_key = gr.State(())  # which unaugmented clips the players hold (render_page)
        grid_seeds = gr.State([])
        opened = gr.State(None)  # a prepared demo, read and checked (opened_demo), before it sets the widgets
        # ---- first screen: [the figure, then [sliders | transport, draw, players] | what was drawn]. In that
        # order for the keyboard too: the first slider is 3 Tab presses away, Play 8 (web/classroom.js).
        with gr.Row(equal_height=False, elem_id="stage"):
            with gr.Column(scale=8, min_width=360, elem_id="stage-main"):
                plot = gr.Image(label="Log-mel spectrograms: original | augmented", type="filepath",
                                show_label=False, interactive=False, elem_id="spectrograms",
                                buttons=["download", "fullscreen"],
                                height="max(290px, 40vh)")  # 290 px at 1280x720, more on a taller screen
                with gr.Row(equal_height=False, elem_id="lesson"):
                    with gr.Column(scale=6, min_width=300, elem_id="controls"):
                        policy = gr.Radio(["custom", *POLICIES], value="LD", label="Policy preset (fills the sliders)",
                                          elem_id="policy", info=POLICY_INFO)
                        with gr.Row(elem_classes="tight"):
                            warp_ms = gr.Slider(0, 2000, value=start["warp_ms"], step=10, label="W: max warp (ms)")
                            n_freq = gr.Slider(0, 20, value=start["n_freq_masks"], step=1, label="mF: freq. masks")
                            freq_bands = gr.Slider(0, 128, value=start["freq_mask_bands"], step=1,
                                                   label="F: max bands")
                        with gr.Row(elem_classes="tight"):
                            n_time = gr.Slider(0, 40, value=start["n_time_masks"], step=1, label="mT: time masks")
                            time_ms = gr.Slider(0, 3000, value=start["time_mask_ms"], step=10,
                                                label="T: max width (ms)")
                        gr.Markdown(TRANSPORT_HINT, elem_id="abc-hint")
                    with gr.Column(scale=5, min_width=300, elem_id="listen"):
                        transport = gr.HTML(TRANSPORT_EMPTY, elem_id="abc", container=False)
                        with gr.Row(elem_classes="tight", elem_id="draw-box"):
                            seed = gr.Number(value=7, precision=0, label="Seed", elem_id="seed", min_width=70,
                                             show_label=True)
                            reroll = gr.Button("New draw", variant="primary", size="sm", elem_id="reroll",
                                               min_width=70)
                            keep = gr.Checkbox(value=False, label="Keep this draw", elem_id="keep")
                        gr.Markdown(DRAW_HELP, elem_id="draw-help")
                        with gr.Column(elem_classes="players"):
                            a_orig = gr.Audio(label="1 · original clip", type="filepath", interactive=False,
                                              elem_id="p1")
                            a_orig_rebuilt = gr.Audio(label="2 · original mel rebuilt", type="filepath",
                                                      interactive=False, elem_id="p2")
                            a_aug = gr.Audio(label="3 · augmented mel rebuilt", type="filepath",
                                             interactive=False, elem_id="p3")
                        gr.Markdown(SC_HELP, elem_id="sc-help")
            with gr.Column(scale=3, min_width=260, elem_id="stage-side"):
                drawn = gr.Markdown(label="What was drawn", elem_id="drawn", value="*Rendering the first draw…*")
        # ---- everything else, one tab each
        with gr.Tabs(elem_id="more") as tabs:
            with gr.Tab("Clip"):
                with gr.Row():
                    audio = gr.Audio(value=EXAMPLES[0][0], label="Your clip (upload, record, or pick an example)",
                                     type="filepath", elem_id="clip", sources=["upload", "microphone"])
                    with gr.Column():
                        gr.Examples(EXAMPLES, inputs=[audio],
                                    label="Bundled examples (speech by espeak-ng, synthesised music; CC0)")
                        params_file = gr.File(
                            label="Open a prepared demo: a params .json (names its clip) or a demo .zip (clip + params)",
                            file_types=[".json", ".zip"], type="filepath", elem_id="demo-file")
            with gr.Tab("More settings"):
                with gr.Row():
                    with gr.Column():
                        p = gr.Slider(0, 1, value=1.0, step=0.05, label="p: a mask is at most p × clip length")
                        width_ratio = gr.Slider(0, 0.3, value=0.0, step=0.01,
                                                label="pS: adaptive width (× length, 0 = off)")
                        per_frame = gr.Slider(0, 0.1, value=0.0, step=0.005,
                                              label="pM: adaptive masks per frame (0 = off)")
                    with gr.Column():
                        fill = gr.Dropdown(list(FILL_MODES), value="mean", label="Masked cells become",
                                           info="mean: the paper's choice · floor: silence · value: the level below · "
                                                "stage_mean: the mean recomputed before each stage (warp, then "
                                                "frequency masks, then time masks) · band_mean: each band's own mean "
                                                "· absolute: a framework's 0 placed on this clip's level")
                        fill_db = gr.Slider(-120, 50, value=-60, step=1,
                                            label="Fill level (dB: re. peak for 'value', re. the framework's 0 for "
                                                  "'absolute')")
                        convention = gr.Dropdown(list(conventions()), value="melwav", label="Draw rules",
                                                 info="melwav = the papers'; or a training framework's")
                    with gr.Column():
                        method = gr.Dropdown(list(METHODS), value=DEFAULT_METHOD, label="Reconstruction method")
                        n_iter = gr.Slider(-1, 200, value=-1, step=1, label="Iterations (-1 = the method's default)")
                        gr.Markdown("### Bounds in frames and milliseconds")
                        bounds = gr.Markdown()
            with gr.Tab("Teaching tools"):
                gr.Markdown(TRANSPORT_HELP)
                with gr.Row():
                    solo_btn = gr.Button("Hear each operation of this draw on its own")
                    show_rebuilt = gr.Checkbox(False, label="Also plot the mel of the rebuilt augmented audio")
                with gr.Row():
                    a_warp = gr.Audio(label="time warp only", type="filepath", interactive=False)
                    a_freq = gr.Audio(label="frequency masks only", type="filepath", interactive=False)
                    a_time = gr.Audio(label="time masks only", type="filepath", interactive=False)
                solo_pictures = gr.Gallery(label="Each operation alone: original | augmented by it", columns=3,
                                           height="auto", object_fit="contain", allow_preview=True)
                solo_mels = gr.File(label="Their mel spectrograms (.npy: warp, frequency, time)",
                                    file_count="multiple", interactive=False, height=110)
                variety_btn = gr.Button("Show 8 draws of these settings (click one to make it current)")
                # Two whole rows of whole thumbnails (a fixed height: "auto" cut the second row in half).
                gallery = gr.Gallery(label="Draws (seed under each)", columns=4, rows=2, height=600,
                                     allow_preview=False, object_fit="contain")
            with gr.Tab("Recipes"):
                gr.Markdown(
                    "Paste the SpecAugment part of a training config to hear it on this clip ("
                    + ", ".join(frameworks.FRAMEWORKS) + "): an ESPnet `specaug_conf` or NeMo `spec_augment` (YAML), "
                    "a torchaudio `SpecAugment(...)` call, lingvo `p.name = value` lines, a Whisper (transformers) "
                    "`config.json` or `from_pretrained(...)` arguments, a WeNet `dataset_conf`, an icefall/lhotse "
                    "`SpecAugment(...)` call, flags or state_dict, a fairseq S2T data `config.yaml`, or SpeechBrain "
                    "hparams YAML. Nothing pasted is run. Sizes are converted by duration (ms) and by share of the "
                    "mel bank, and the masks are drawn by that framework's rules. Export goes the other way.\n\n"
                    "Examples: NeMo `spec_augment: {freq_masks: 2, freq_width: 27, time_masks: 10, time_width: 0.05}`"
                    " · torchaudio `SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, "
                    "freq_mask_param=27)` · lingvo `p.freq_mask_max_bins = 27`"
                )
                with gr.Row():
                    rec_framework = gr.Dropdown(["auto", *frameworks.FRAMEWORKS], value="auto", label="Framework",
                                                info="auto: guessed from the text")
                    rec_hop_ms = gr.Number(value=0, label="Its feature hop (ms)", minimum=0,
                                           info="what one of its frames lasts; 0 = the config's, else the default (10)")
                    rec_n_mels = gr.Number(value=0, precision=0, minimum=0, label="Its mel channels",
                                           info="0 = the config's, else the default (80)")
                rec_text = gr.Code(language="yaml", lines=8, label="Training config (paste here)",
                                   value=RECIPE_EXAMPLE)
                import_btn = gr.Button("Import: set the sliders and render", variant="primary")
                rec_info = gr.Markdown()
                with gr.Row():
                    exp_framework = gr.Dropdown(list(frameworks.FRAMEWORKS), value="espnet",
                                                label="Export the current sliders to")
                    export_btn = gr.Button("Export")
                exp_text = gr.Code(language="python", lines=6, label="Fragment for your training config",
                                   interactive=False)
                exp_notes = gr.Markdown()
            with gr.Tab("Analysis"):
                with gr.Row():
                    sr = gr.Dropdown([16000, 22050, 44100], value=22050, label="Sample rate (Hz)")
                    n_fft = gr.Dropdown([512, 1024, 2048, 4096], value=2048, label="FFT size")
                    hop = gr.Dropdown([128, 160, 256, 320, 512, 1024], value=512, label="Hop (samples)")
                    n_mels = gr.Dropdown([40, 64, 80, 128], value=128, label="Mel bands")
                gr.Markdown("Changing the analysis converts the sliders: a preset is recomputed for the new frames and "
                            "bands; hand-set values keep their durations (ms) and their share of the mel scale.")
            with gr.Tab("Downloads"):
                files = gr.File(label="Augmented WAV, mel (.npy), figure (.png), params (.json)",
                                file_count="multiple", interactive=False, elem_id="downloads")
                gr.Markdown("Replay the exact draw from the command line: "
                            "`python -m melwav your_clip.wav -o same.wav --params <downloaded>.json`")
                demo_btn = gr.Button("Make a demo file (.zip: this clip + these params, opens in one step)")
                demo_zip = gr.File(label="Demo file", interactive=False)
            if ABOUT:
                with gr.Tab("About"):
                    gr.Markdown(ABOUT)

        aug_inputs = [warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db, convention]
        analysis_inputs = [sr, n_fft, hop, n_mels]
        render_inputs = [audio, *aug_inputs, method, n_iter, seed, keep, *analysis_inputs, show_rebuilt, held]
        render_outputs = [plot, drawn, bounds, a_orig, a_orig_rebuilt, a_aug, files, held]
        # /render (scripts): the whole render in one call, from a button the page does not show.
        gr.Button("render (API)", visible=False).click(render, render_inputs, render_outputs, api_name="render",
                                                       concurrency_limit=2, concurrency_id="render")
        # The page: one event (render_page) that yields the picture first (tens of ms) and then, in the same
        # call, the rebuilt audio, so the eye never waits for the reconstruction. One event rather than a
        # picture event with the audio chained after it: the chain cost a second round trip (the browser took
        # ~25 ms to send the audio event) and a second preprocess of the same inputs (~8 ms: Gradio checks
        # the clip's file path again) before the reconstruction could start. THEME_JS tells it the page's theme.
        # It stays in the queue although the queue's round trip costs more than the picture itself (~70 ms
        # here): outside it, Gradio delivers neither its error messages nor its notes, nor a generator's steps.
        # Progress shows on the figure only, never over the players, and "minimal": a small timer until the
        # picture comes, then nothing over the new figure while the audio is rebuilt ("full" would cover the
        # figure with the page's background until the picture comes, then pulse a border around it).
        page_inputs = [*render_inputs, players_key, theme]
        page_outputs = [plot, drawn, bounds, held, a_orig, a_orig_rebuilt, a_aug, pending_downloads, players_key]
        page = dict(fn=processed_here(render_page, page_inputs, page_outputs), inputs=page_inputs,
                    outputs=page_outputs, js=THEME_JS, concurrency_limit=2, concurrency_id="render",
                    api_visibility="private", show_progress="minimal", show_progress_on=[plot],
                    preprocess=False, postprocess=False)
        downloads = dict(fn=show_downloads, inputs=[pending_downloads, downloads_shown], outputs=[files],
                         api_visibility="private", show_progress="hidden")
        policy_sliders = [warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame]

        def rerender(event):
            """After ``event``: the picture and the audio (one event), then the downloads."""
            return event.then(**page).success(**downloads)

        # "always_last": a move made while a render runs waits for it to end (picture and audio), then renders
        # the latest values once; moves in between are not rendered.
        audio.change(trigger_mode="always_last", **page).success(**downloads)
        demo.load(**page).success(**downloads)
        main_sliders = [warp_ms, n_freq, freq_bands, n_time, time_ms]
        for ctl in [*aug_inputs, method, n_iter, keep, show_rebuilt]:
            event = {**page, "js": unkeep_js(page_inputs.index(keep))} if ctl in main_sliders else page
            ctl.input(trigger_mode="always_last", **event).success(**downloads)
        # A main slider draws anew: "Keep this draw" is unticked on the page (its render reads it unticked).
        for ctl in main_sliders:
            ctl.input(None, None, keep, js="() => false", queue=False, show_progress="hidden")
        # A hand edit of a preset's number makes the preset "custom" (in the browser: no round trip).
        for ctl in policy_sliders:
            ctl.input(None, None, policy, js="() => 'custom'", queue=False, show_progress="hidden")
        seed.submit(**page).success(**downloads)
        for ctl in analysis_inputs:
            rerender(ctl.input(analysis_changed, [policy, *policy_sliders, *analysis_inputs, held], policy_sliders,
                               api_visibility="private", show_progress="hidden"))
        rerender(policy.input(fill_policy, [policy, *analysis_inputs], policy_sliders, api_name="policy",
                              show_progress="hidden"))
        rerender(reroll.click(new_seed, None, seed, api_visibility="private", show_progress="hidden").then(
            lambda: False, None, keep, api_visibility="private", show_progress="hidden"))
        a_aug.change(transport_update, [a_orig, a_orig_rebuilt, a_aug, held], transport, api_visibility="private",
                     show_progress="hidden", queue=False)
        solo_btn.click(solo, [audio, *aug_inputs, seed, *analysis_inputs, method, n_iter, held, theme],
                       [a_warp, a_freq, a_time, solo_mels, solo_pictures], js=THEME_JS,
                       api_name="solo", concurrency_limit=2, concurrency_id="render")
        variety_btn.click(variety, [audio, *aug_inputs, seed, *analysis_inputs, held, theme], [gallery, grid_seeds],
                          js=THEME_JS, api_name="variety", concurrency_limit=2, concurrency_id="render")
        rerender(gallery.select(pick_draw, [grid_seeds], [seed, keep], api_visibility="private"))
        # /load_params (scripts) in one call; the page opens a demo in two steps: the file is read and checked
        # into a State (a refusal is one message, and no widget is marked or covered), then the widgets are set.
        opened_outputs = [policy, *aug_inputs, method, n_iter, seed, keep, *analysis_inputs, held, audio]
        gr.Button("load params (API)", visible=False).click(
            load_params, [params_file, audio, *analysis_inputs], opened_outputs, api_name="load_params")
        rerender(params_file.upload(
            opened_demo, [params_file, audio, *analysis_inputs], [opened], api_visibility="private",
            show_progress="hidden",
        ).success(tuple, [opened], opened_outputs, api_visibility="private", show_progress="hidden"))
        rerender(import_btn.click(
            import_recipe_handler, [rec_text, rec_framework, rec_hop_ms, rec_n_mels, fill_db, *analysis_inputs, held],
            [policy, *aug_inputs, rec_info, held], api_name="import_recipe",
        ))
        export_btn.click(export_recipe_handler,
                         [exp_framework, rec_hop_ms, rec_n_mels, *aug_inputs, *analysis_inputs, held],
                         [exp_text, exp_notes], api_name="export_recipe")
        demo_btn.click(make_demo, [audio, files], demo_zip, api_name="demo_file")
        tabs.select(tab_opened, [pending_downloads], [downloads_shown, files], api_visibility="private",
                    show_progress="hidden")
    return demo


#: Files of earlier processes (a crash or SIGTERM leaves them; Gradio's delete_cache only knows its own):
#: render folders and unclaimed cache entries older than this are swept at start-up and every SWEEP_EVERY_S.
STALE_AFTER_S = float(os.environ.get("MELWAV_STALE_AFTER_S", "3600"))
SWEEP_EVERY_S = float(os.environ.get("MELWAV_SWEEP_EVERY_S", "600"))
_CACHE_BASE: list[pathlib.Path] = []


def own_gradio_cache() -> tuple[pathlib.Path, pathlib.Path]:
    """Gradio's cache folder as configured (``GRADIO_TEMP_DIR``, else Gradio's default) and this process's own
    folder in it, which ``GRADIO_TEMP_DIR`` then names.

    The page points at files in that cache for as long as the server runs (the default clip and the
    examples, copied there when the page is built): only this process may decide they are old (Gradio's
    ``delete_cache`` keeps them), so the sweeper skips a live process's folder and removes a dead one's
    at once (:func:`melwav.limits.sweep_stale`). Sweeping the cache by age alone broke every page opened an
    hour after start-up.
    """
    if not _CACHE_BASE:
        _CACHE_BASE.append(pathlib.Path(os.environ.get("GRADIO_TEMP_DIR")
                                        or pathlib.Path(tempfile.gettempdir()) / "gradio"))
    own = limits.claim_process_dir(_CACHE_BASE[0])
    os.environ["GRADIO_TEMP_DIR"] = str(own)  # read by Gradio whenever it caches or serves a file
    return _CACHE_BASE[0], own


def create() -> gr.Blocks:
    """The lab as deployed: the page in a cache folder of this process's own, its queue, and the file sweeper."""
    cache_base, _ = own_gradio_cache()
    demo = build()
    demo.queue(max_size=int(os.environ.get("MELWAV_QUEUE_SIZE", "32")), default_concurrency_limit=2)
    limits.start_sweeper([lab.work_dir(), cache_base], max_age_s=STALE_AFTER_S, every_s=SWEEP_EVERY_S)
    return demo


# The page's script (figure labels, the A/B/C transport) and style (one projector screen), in web/.
WEB = HERE / "web"
PAGE_JS = (WEB / "classroom.js").read_text(encoding="utf-8")
PAGE_CSS = (WEB / "classroom.css").read_text(encoding="utf-8")

LAUNCH_KWARGS = dict(
    js=PAGE_JS,
    allowed_paths=[str(ASSETS)],  # bundled examples a demo file names
    css=PAGE_CSS,
    max_file_size=MAX_FILE_SIZE,
    enable_monitoring=False,
    # Only our own gr.Error messages reach visitors; Gradio's other errors name server paths.
    show_error=False,
    theme=gr.themes.Soft(),
)


def main(argv=None) -> int:
    """``melwav-lab [--host H] [--port P]``: serve the lab (defaults: ``GRADIO_SERVER_NAME/PORT``, else Gradio's)."""
    import argparse

    parser = argparse.ArgumentParser(prog="melwav-lab", description="Serve the melwav listening lab (Gradio).")
    parser.add_argument("--host", default=None, help="address to listen on (default $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default $GRADIO_SERVER_PORT or 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    create().launch(server_name=args.host, server_port=args.port, **LAUNCH_KWARGS)
    return 0
