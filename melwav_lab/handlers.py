"""What each event of the page (and each named endpoint) does: named values in, named values out.

Each handler takes one dict ``v`` (input name -> value: the controls' keys of :mod:`.controls`, ``audio``,
``state``, ...) and returns a dict of the outputs it changes. :func:`.wiring.named` makes it the function
Gradio calls, with parameters named after its inputs; the module-level names below (``render``,
``render_page``, ...) are those functions, so they can be called positionally in their inputs' order or by
keyword, each input defaulting to its control's value on the page (``render(audio="x.wav", seed=5)``).
The signal processing, caching and files live in :mod:`melwav` (mostly :mod:`melwav.lab`).
"""

from __future__ import annotations

import base64
import functools
import logging
import pathlib
import random
import threading

import gradio as gr

from melwav import demofile, frameworks, lab, limits, pipeline, stats
from melwav.explain import escape_markdown
from melwav.frameworks import fill_explanation
from melwav.specaugment import POLICIES, policy

from . import controls, guard, preview
from .compat import deadline, unpacked
from .controls import ANALYSIS, AUGMENT, BY_KEY, PRESET, analysis_values, n_iter_of, settings_of
from .messages import friendly, inert
from .settings import BUNDLED, DEMO_MAX_BYTES, MAX_DURATION_S, MAX_TOASTS, VARIETY_N
from .state import PageState, as_state, clip_notes, framework_units, kept_record, new_notes, page_theme
from .transport import draw_context, transport_data_html
from .wiring import named

log = logging.getLogger("melwav.app")

#: Inputs that are not controls, with their defaults for Python and API callers.
DEFAULTS = {**controls.defaults(), "state": PageState(), "players_key": (), "downloads_tab": None, "theme": "light",
            "policy": "LD", "framework": "auto", "framework_hop_ms": 0, "framework_n_mels": 0, "export": "espnet"}


def handler(inputs, outputs):
    """A handler of named values (see the module's doc), errors shown as one message on the page; its
    docstring gains an ``Args:`` section from the controls' help (what Gradio's API docs parse). One that
    changes the page's state or clip (other than the page's render) stops its early pictures until the next
    render (:func:`forgetting`)."""

    def wrap(fn):
        args = [f"        {k}: {BY_KEY[k].help}" for k in inputs if k in BY_KEY]
        if args:
            fn.__doc__ = (fn.__doc__ or "").rstrip() + "\n\n    Args:\n" + "\n".join(args) + "\n"
        if "state" in inputs and {"state", "audio"} & set(outputs) and fn.__name__ not in ("render", "render_page"):
            fn = forgetting(fn)
        return named(friendly(fn), inputs, outputs, defaults=DEFAULTS)

    return wrap


def forgetting(fn):
    """``fn`` (it changes the page's state or clip), after which no picture is made outside the queue for the
    page until its next render has said what they are; the page's token stays in the state ``fn`` returns."""

    @functools.wraps(fn)
    def wrapper(v):
        token = getattr(v.get("state"), "live", "")
        if token:
            preview.SESSIONS.forget(token)
        out = fn(v)
        state = out.get("state") if isinstance(out, dict) else None
        if token and isinstance(state, PageState) and not state.live:
            out = {**out, "state": state.replace(live=token)}
        return out

    return wrapper


def config_of(v: dict, state: PageState):
    """The analysis and the controls' config, plus the imported recipe's own settings that have no slider.

    Those (WeNet's spec_sub, lhotse's p, SpeechBrain's order, ...) are converted to the analysis anew on every
    call, and apply only while the draw rules are still the recipe's framework.
    """
    settings = settings_of(v)
    config = lab.config_from_units(settings, **{k: v[k] for k in AUGMENT})
    recipe = state.recipe_for(config.convention)
    return settings, config.replace(extra=recipe.to_config(settings).extra) if recipe is not None else config


def check_cost(v: dict, settings, *, n_renders: int = 1) -> None:
    """Over the limits whatever is cached: refused from the file's header, before decoding it (a clip not yet
    open cannot have its original's rebuild cached, so that counts too)."""
    pipeline.check_file_render(v["audio"], settings=settings, max_duration_s=MAX_DURATION_S, method=v["method"],
                               n_iter=n_iter_of(v), rebuilt_mel=bool(v.get("show_rebuilt")),
                               budget=limits.server_budget(), n_renders=n_renders,
                               original_cached=lab.is_open(v["audio"], settings=settings,
                                                           max_duration_s=MAX_DURATION_S))


def prepare(v: dict, state: PageState):
    """The clip, config, seed and (with "keep this draw") the held record of one render."""
    settings, config = config_of(v, state)
    analysis = lab.open_clip(v["audio"], settings=settings, max_duration_s=MAX_DURATION_S)
    seed, record = lab.parse_seed(v["seed"]), None
    if v["keep"] and state.record:
        record = kept_record(state.record, config)
        if (record.n_mels, record.n_frames) != (analysis.n_mels, analysis.n_frames):
            gr.Warning("The kept draw was made for another clip or analysis; drawing anew.")
            record = None
        else:
            seed = int(state.seed if state.seed is not None else seed)
    return analysis, config, seed, record


def player_labels(out) -> dict:
    """The labels of the players whose clip is new in ``out`` (their SC; the original clip's label stays)."""
    labels = {"a_aug": f"3 · augmented mel rebuilt · SC {out.augmented_sc_db:.1f} dB"}
    if out.original_rebuilt_wav is not None:
        labels["a_orig_rebuilt"] = f"2 · original mel rebuilt · SC {out.original_sc_db:.1f} dB"
    return labels


def players(out) -> dict:
    """Updates of the three players (a clip that did not change, None, is left as it is)."""
    labels = player_labels(out)
    files = {"a_orig": out.original_wav, "a_orig_rebuilt": out.original_rebuilt_wav, "a_aug": out.augmented_wav}
    return {k: gr.update(value=str(f), **({"label": labels[k]} if k in labels else {}))
            for k, f in files.items() if f is not None}


#: How long a note stays as a message (Gradio's default is 10 s); it stays in "What was drawn" too.
NOTE_SECONDS = 5


def drawn(state: PageState, analysis, pic, **more) -> PageState:
    """Show the notes not yet shown for this clip (a few, as messages); the page's state for the new draw."""
    fresh, shown = new_notes(state, analysis.key, pic.notes)
    for note in fresh[:MAX_TOASTS]:
        gr.Info(inert(note), duration=NOTE_SECONDS)
    return state.replace(record=pic.record.to_dict(), seed=pic.seed, clip=analysis.key, shown=shown,
                         axes=tuple(pic.axes), **more)


RENDER_IN = ("audio", *controls.KEYS, "state")


@handler(RENDER_IN, ("plot", "drawn", "bounds", "a_orig", "a_orig_rebuilt", "a_aug", "files", "state"))
def render(v):
    """Augment the clip's log-mel and rebuild audio from the original and the augmented mel, in one call.

    The ``/render`` endpoint for scripts; the page runs the same work in :func:`render_page`, which shows
    the picture before the audio is rebuilt.
    """
    if not v["audio"]:
        return {}
    state = as_state(v["state"])
    check_cost(v, settings_of(v))
    analysis, config, seed, record = prepare(v, state)
    view = lab.render_view(analysis, config, seed=seed, method=v["method"], n_iter=n_iter_of(v), record=record,
                           policy_name=lab.matching_policy(config, analysis.settings),
                           show_rebuilt_mel=bool(v["show_rebuilt"]), budget=limits.server_budget(), cancel=deadline())
    return {"plot": str(view.figure_png), "drawn": view.description + clip_notes(view.notes, view.description),
            "bounds": view.bounds, **players(view), "files": [str(p) for p in view.downloads],
            "state": drawn(state, analysis, view)}


#: render_page's outputs: the picture's (plot, drawn, bounds, state, transport_data), then the audio's
#: (transport_files, transport_data, pending_downloads, players_key), then the downloads' (files). Few
#: components: for each one a step leaves as it is (``gr.skip()``) Gradio rebuilds that component and its
#: config, ~1 ms an Audio or Image and 1.5-2 ms a File, on the way to the page. The players are not among
#: them: the page hands them the transport's files (:data:`.transport.TRANSPORT_FILES_JS`).
PAGE_OUTPUTS = ("plot", "drawn", "bounds", "state", "transport_data", "transport_files", "pending_downloads",
                "players_key", "files")


@handler((*RENDER_IN, "players_key", "downloads_tab", "theme"), PAGE_OUTPUTS)
def render_page(v):
    """A render on the page, in one event: the picture first, then, in the same call, the audio.

    Yields the outputs of :data:`PAGE_OUTPUTS` (``gr.skip()`` for those a step leaves as they are). First
    the draw, its figure, description and bounds and the page's state (tens of ms, no reconstruction), so
    the page shows the figure at once; then the rebuilt audio: the transport's files (``transport_files``:
    the augmented WAV, after the two unaugmented ones when ``players_key``, the key of the clips the page
    has, changes), with what they were made for and the players' labels (``transport_data``), which the
    page hands to the transport and the three players; the downloads to write, the players' new key, and
    the figure again when it has the rebuilt-mel panel; last, only while the Downloads tab is open
    (``downloads_tab``, :func:`tab_opened`), the downloads themselves. ``theme`` ("light"/"dark") is set by
    the page (``THEME_JS``).
    """
    if not v["audio"]:
        # The clip was cleared (or is being replaced): keep what is on the page rather than raise.
        yield {}
        return
    state = as_state(v["state"])
    live = state.live or preview.new_token()
    check_cost(v, settings_of(v))
    analysis, config, seed, record = prepare(v, state)
    drawing = picture_args(v, analysis, config, seed, record)
    policy_name, theme, show_rebuilt = drawing["policy_name"], drawing["theme"], drawing["show_rebuilt_mel"]
    # The picture the page asked for outside the queue (early_picture), if it was made for this very draw.
    key = picture_key(analysis, config, drawing)
    pic = preview.SESSIONS.picture_for(live, key)
    # The page already shows that picture (it asked first): the render then sends one step, the words and the
    # figure widget's copy with the audio (a step of their own first cost the audio ~10 ms: measured, README).
    early = pic is not None
    if not early:  # called through the module: bench/latency.py times lab.render_picture and lab.render_sound
        pic = lab.render_picture(analysis, config, **drawing)
    state = drawn(state, analysis, pic, figure=str(pic.figure_png), policy=policy_name, theme=theme, live=live)
    preview.SESSIONS.remember(live, v, state)
    first = {"drawn": pic.description + clip_notes(pic.notes, pic.description), "bounds": pic.bounds,
             "state": state, "transport_data": transport_data_html(pic.axes, live=live)}
    if not early:
        yield {"plot": str(pic.figure_png), **first}
    sound = sound_args(v, pic.seed, policy_name, theme, show_rebuilt)
    # The sound the early picture started (the page waited for it before it sent this render), or one made now.
    snd, heard_id = (preview.SESSIONS.sound_for(live, sound_key(key, sound), limits.server_max_seconds()) if early
                     else (None, ""))
    if snd is None:
        snd = lab.render_sound(analysis, config, pic.record, cancel=deadline(), **sound)
    preview.SESSIONS.remember(live, {**v, "players_key": snd.players_key}, state)
    # The downloads are written last (below), so the players do not wait for them.
    pending = {"analysis": analysis, "rendered": snd.rendered, "figure": snd.figure_png or pic.figure_png,
               "policy": policy_name}
    # One message for the transport and the players, which the page gives the same files: the transport starts
    # fetching the new WAV at once, and no players' step is postprocessed on the server while it downloads.
    made_for = draw_context(*snd.players_key[:3], pic.seed, state.recipe)
    new_clips = snd.original_wav is not None and snd.original_rebuilt_wav is not None
    files = [snd.original_wav, snd.original_rebuilt_wav, snd.augmented_wav] if new_clips else [snd.augmented_wav]
    figure = snd.figure_png or (pic.figure_png if early else None)
    yield {**(first if early else {}), **({"plot": str(figure)} if figure is not None else {}),
           "transport_files": [str(f) for f in files],
           "transport_data": transport_data_html(pic.axes, made_for, player_labels(snd), live=live, sound=heard_id),
           "pending_downloads": pending, "players_key": snd.players_key}
    # The downloads after the audio has gone to the page, in this same call: a chained event cost a round trip
    # (its request, queue and messages) in the very moments the page fetched the new WAV (~20-40 ms later).
    # The tab's holder is read now, not at the start: a tab opened while this ran gets this render's files.
    if downloads_open(v["downloads_tab"]):
        yield {"files": show_downloads(pending)}


def picture_args(v: dict, analysis, config, seed: int, record) -> dict:
    """How the page draws and pictures a move (:func:`melwav.lab.render_picture`'s keywords): the render's and
    the early picture's, so their keys (:func:`picture_key`) agree."""
    return dict(seed=seed, record=record, policy_name=lab.matching_policy(config, analysis.settings),
                theme=page_theme(v["theme"]), show_rebuilt_mel=bool(v["show_rebuilt"]))


def picture_key(analysis, config, drawing: dict) -> tuple:
    """What a page's picture is made from: a render takes an early picture only when it has the same key."""
    record = drawing["record"]
    return (analysis.key, config, int(drawing["seed"]), None if record is None else record.to_dict(),
            drawing["policy_name"], drawing["theme"], drawing["show_rebuilt_mel"])


def sound_args(v: dict, seed: int, policy_name, theme: str, show_rebuilt: bool) -> dict:
    """How the page's render rebuilds the audio of a draw (:func:`melwav.lab.render_sound`'s keywords; no
    downloads, so no figure: the render writes those later, with its picture)."""
    return dict(seed=seed, method=v["method"], n_iter=n_iter_of(v), policy_name=policy_name, theme=theme,
                show_rebuilt_mel=show_rebuilt, downloads=False, players_key=tuple(v["players_key"] or ()),
                budget=limits.server_budget())


def sound_key(picture: tuple, sound: dict) -> tuple:
    """What a sound is made from: its picture's key (:func:`picture_key`: the draw) and the rebuild."""
    return (picture, sound["method"], sound["n_iter"], sound["players_key"])


def early_sound(live, entry, analysis, config, record, sound: dict) -> None:
    """The audio of an early picture's draw, rebuilt on a thread of its own while the picture is made (and
    before the page sends its render); its render takes it (:meth:`.preview.Sessions.sound_for`) or makes its own."""
    made = None
    try:
        made = lab.render_sound(analysis, config, record, cancel=limits.Deadline(limits.server_max_seconds()),
                                **sound)
    except Exception as exc:  # noqa: BLE001 - the render makes it again and shows its message
        log.info("an early sound failed (%s); the render makes its own", type(exc).__name__)
    finally:
        preview.SESSIONS.end_sound(live, entry, made)


def early_picture(args, *, widgets) -> dict | None:
    """The page's figure for its controls' values now, made outside Gradio's queue (:mod:`.preview`).

    ``args``: ``[token, pack, theme]``, the page's token (its last render gave it), its controls' values as
    the render gets them (:func:`.compat.unpacked`, the same checks) and its theme. Returns ``{"png": data
    URL}``, or None whenever the page should wait for its render instead: an unknown or busy page, the
    server's early pictures all busy, "Keep this draw" ticked, a clip or analysis not open (no decoding or
    analysis here: a picture costs tens of ms), values the render would refuse. The clip and the draw's
    state are the page's last render's, never the request's.
    """
    if not isinstance(args, list) or len(args) != 3:
        return None
    token, pack, theme = args
    live = preview.SESSIONS.start(token)
    if live is None:
        return None
    made = None
    try:
        v = {**live.values, **dict(zip(controls.KEYS, unpacked(pack, widgets))), "theme": page_theme(theme)}
        settings = settings_of(v)
        if v["keep"] or not v["audio"] or not lab.is_open(v["audio"], settings=settings,
                                                          max_duration_s=MAX_DURATION_S):
            return None
        check_cost(v, settings)
        analysis, config, seed, record = prepare(v, as_state(live.state))
        drawing = picture_args(v, analysis, config, seed, record)
        key = picture_key(analysis, config, drawing)
        # The draw first (microseconds), so that its audio is rebuilt on the other core while it is pictured.
        drawn_record = record or pipeline.draw_for(analysis, config, seed=seed)
        sound = sound_args(v, seed, drawing["policy_name"], drawing["theme"], drawing["show_rebuilt_mel"])
        entry = preview.SESSIONS.begin_sound(live, sound_key(key, sound))
        if entry is not None:
            threading.Thread(target=early_sound, args=(live, entry, analysis, config, drawn_record, sound),
                             daemon=True, name="melwav-early-sound").start()
        pic = lab.render_picture(analysis, config, **{**drawing, "record": drawn_record})
        made = (key, pic)
        return {"png": "data:image/png;base64," + base64.b64encode(pic.figure_png.read_bytes()).decode("ascii"),
                **({"sound": entry[2]} if entry is not None else {})}
    except gr.Error:  # refused: the render says why
        return None
    except Exception as exc:  # noqa: BLE001 - the render does the same work and shows its message
        log.warning("an early picture failed (%s); the render makes it", type(exc).__name__)
        return None
    finally:
        preview.SESSIONS.finish(live, made)


async def early_audio(args) -> dict | None:
    """The augmented audio the early picture ``args = [token, sound id]`` started, for the transport at once
    (``{"wav": base64 of the 16-bit WAV}``), or None: not that page's current sound, asked before, failed, or
    one whose unaugmented clips changed too (a new gain: the render brings all three). Waits without a thread,
    at most the server's time limit."""
    if not isinstance(args, list) or len(args) != 2:
        return None
    wav = await preview.SESSIONS.wait_wav(args[0], args[1], limits.server_max_seconds())
    return None if wav is None else {"wav": base64.b64encode(pathlib.Path(wav).read_bytes()).decode("ascii")}


def downloads_open(tab) -> bool:
    """Whether the Downloads tab is open, from the page's holder (``{"open": bool}``, a State that
    :func:`tab_opened` changes in place, so a render running meanwhile sees it)."""
    return bool(isinstance(tab, dict) and tab.get("open"))


@friendly
def show_downloads(pending, shown=True):
    """Write the downloads of the audio just rebuilt into the file list, while the Downloads tab is open (``shown``).

    The last step of :func:`render_page`, and run when the tab is opened (:func:`tab_opened`). Written only
    for someone looking at them: right after a render, writing and caching four files competed with the
    browser's download of the player's new WAV (~20 ms later audio, ``bench/latency.py``).
    """
    if not shown or not pending or pending.get("rendered") is None:
        return gr.skip()
    paths = lab.write_downloads(pending["analysis"], pending["rendered"], figure_png=pending["figure"],
                                policy_name=pending["policy"])
    return [str(p) for p in paths]


def tab_opened(pending, tab, evt: gr.SelectData):
    """A tab was opened: whether it is the Downloads tab (noted in the page's holder ``tab``, in place: a
    render running now reads it when its audio is done), and if so its files, written now."""
    shown = evt.value == "Downloads"
    if isinstance(tab, dict):
        tab["open"] = shown
    return show_downloads(pending, shown)


@handler(("policy", *ANALYSIS), PRESET)
def fill_policy(v):
    """Set the sliders to a preset, converted to the current hop and number of mel bands ("custom": as they are)."""
    if v["policy"] not in POLICIES:
        return {}
    units = lab.policy_units(v["policy"], settings_of(v))
    return {k: units[k] for k in PRESET}


@handler(("policy", *PRESET, *ANALYSIS, "state"), PRESET)
def analysis_changed(v):
    """A new analysis: a preset is converted anew; hand-set values keep their durations and share of the mel scale."""
    if v["policy"] in POLICIES:
        return fill_policy.fn(v)
    settings = settings_of(v)
    before = as_state(v["state"]).n_mels or settings.n_mels
    units = lab.convert_units({k: v[k] for k in PRESET}, n_mels_from=before, settings=settings)
    return {k: units[k] for k in PRESET}


def new_seed():
    return random.randint(0, 999_999)


_SOLO_LABEL = {"warp": "time warp only", "freq": "frequency masks only", "time": "time masks only"}
DRAW_IN = ("audio", *AUGMENT, "seed", *ANALYSIS)


@handler((*DRAW_IN, "method", "n_iter", "state", "theme"), ("a_warp", "a_freq", "a_time", "solo_mels", "solo_pictures"))
def solo(v):
    """The current draw's time warp, frequency masks and time masks, each heard (and pictured) on its own.

    The page's current draw when there is one for this clip; otherwise (a first API call) the draw the
    settings and seed give, as /render would make it.
    """
    state = as_state(v["state"])
    settings, config = config_of(v, state)
    check_cost(v, settings, n_renders=3)
    analysis = lab.open_clip(v["audio"], settings=settings, max_duration_s=MAX_DURATION_S)
    record, seed = state.draw_for(analysis.key) or (None, lab.parse_seed(v["seed"]))
    if record is None:
        record = pipeline.draw_for(analysis, config, seed=seed)
    pipeline.check_render(analysis, method=v["method"], n_iter=n_iter_of(v), n_renders=3,
                          budget=limits.server_budget())
    cancel, out = deadline(), {"solo_mels": [], "solo_pictures": []}
    for op, name in zip(("warp", "freq", "time"), ("a_warp", "a_freq", "a_time")):
        wav, mel, png, sc = lab.render_solo(analysis, record, op, seed=seed, method=v["method"],
                                            n_iter=n_iter_of(v), theme=page_theme(v["theme"]), cancel=cancel)
        out[name] = gr.update(value=str(wav), label=f"{_SOLO_LABEL[op]} · SC {sc:.1f} dB")
        out["solo_mels"].append(str(mel))
        out["solo_pictures"].append((str(png), _SOLO_LABEL[op]))
    return out


@handler((*DRAW_IN, "state", "theme"), ("gallery", "grid_seeds"))
def variety(v):
    """Eight draws of the current settings, to see the variety of a policy."""
    settings, config = config_of(v, as_state(v["state"]))
    analysis = lab.open_clip(v["audio"], settings=settings, max_duration_s=MAX_DURATION_S)
    draws = lab.variety(analysis, config, first_seed=lab.parse_seed(v["seed"]), n=VARIETY_N,
                        budget=limits.server_budget(), theme=page_theme(v["theme"]))
    return {"gallery": [(str(png), f"seed {s}") for png, s, _ in draws], "grid_seeds": [s for _, s, _ in draws]}


def pick_draw(seeds, evt: gr.SelectData):
    """Clicking a thumbnail makes its seed the current draw."""
    if not seeds or evt.index is None:
        raise gr.Error("Make a grid of draws first.")
    index = evt.index if isinstance(evt.index, int) else evt.index[0]
    return seeds[index], False


def bundled_clip(params, audio):
    """The bundled example the params name, when the current clip is not the one they were made for."""
    name = str(params.clip.get("name") or "")
    if name not in BUNDLED:
        return None
    if audio and pathlib.Path(str(audio)).name == name:
        return None
    return BUNDLED[name]


def values_from_params(params) -> dict:
    """The controls' values a params file restores (all but the teaching tools'), under the controls' keys."""
    units = lab.units_from_config(params.config, params.settings)
    return {**{k: units[k] for k in AUGMENT}, "method": params.method,
            "n_iter": params.n_iter if params.n_iter is not None else -1, "seed": params.seed, "keep": True,
            **analysis_values(params.settings)}


#: What a params file restores: the controls it saves (``saved``), in table order.
RESTORED = tuple(c.key for c in controls.CONTROLS if c.saved)


@handler(("params_file", "audio", *ANALYSIS), ("policy", *RESTORED, "state", "audio"))
def load_params(v):
    """Open a prepared demo: a params JSON (its clip: the current one, or a bundled example it names) or a demo
    .zip (clip + params). Restores the clip, the settings and the exact draw."""
    file, audio, out = v["params_file"], v["audio"], {}
    if file is None:
        raise gr.Error("Choose a params .json or a demo .zip file first.")
    if str(file).lower().endswith(".zip"):
        clip, params = demofile.read_demo(file, lab.new_output_dir(), max_bytes=DEMO_MAX_BYTES)
        audio = out["audio"] = str(clip)
    else:
        params = pipeline.read_params(file)
        bundled = bundled_clip(params, audio)
        if bundled:
            audio = out["audio"] = bundled
    guard.check_page_settings(params.settings)
    check_cost({"audio": audio, "method": params.method, "n_iter": params.n_iter}, params.settings)
    analysis = lab.open_clip(audio, settings=params.settings, max_duration_s=MAX_DURATION_S)
    pipeline.check_fits(params, analysis)
    values = values_from_params(params)
    return {**out, "policy": params.policy if params.policy in POLICIES else "custom",
            **{k: values[k] for k in RESTORED},
            "state": PageState(record=params.record.to_dict(), seed=params.seed, clip=analysis.key)}


@handler(("audio", "files"), ("demo_zip",))
def make_demo(v):
    """This clip and the current draw's params in one .zip, which "Open a prepared demo" restores in one step."""
    params_json = next((f for f in v["files"] or [] if str(f).endswith(".json")), None)
    if not v["audio"] or params_json is None:
        raise gr.Error("Render a draw first (pick an example or upload a clip).")
    stem = pathlib.Path(str(params_json)).stem
    zipped = demofile.write_demo(lab.new_output_dir() / f"{stem}_demo.zip", clip=v["audio"], params_json=params_json)
    return {"demo_zip": str(zipped)}


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
DEFAULTS["config"] = RECIPE_EXAMPLE


def widened(key, value):
    """A slider's new value; beyond its top (an imported recipe's), the slider widens instead of cutting it."""
    top = BY_KEY[key].maximum
    return gr.update(value=value, maximum=value) if top is not None and value > top else value


@handler(("config", "framework", "framework_hop_ms", "framework_n_mels", "fill_db", *ANALYSIS, "state"),
         ("policy", *AUGMENT, "recipe_info", "state"))
def import_recipe(v):
    """Read a training config's SpecAugment settings and set the sliders to them (converted to this analysis).

    Sets the policy ("custom"), the draw's controls, a Markdown report, and the page's state with the recipe
    (for its settings that have no slider, and an exact export).
    """
    settings = settings_of(v)
    hop_ms, mels = framework_units(v["framework_hop_ms"], v["framework_n_mels"])
    framework = None if v["framework"] in (None, "", "auto") else v["framework"]
    recipe = frameworks.import_recipe(v["config"] or "", framework=framework, hop_ms=hop_ms, n_mels=mels)
    config = recipe.to_config(settings, fill_db=float(v["fill_db"]) if v["fill_db"] is not None else -80.0)
    units = lab.units_from_config(config, settings)
    lines = [f"**Imported: {recipe.framework}** (its frames: {recipe.hop_ms:g} ms, its mel channels: "
             f"{recipe.n_mels}; here: {settings.hop_ms:.3g} ms frames, {settings.n_mels} bands). "
             f"Draw rules set to *{config.convention}*.", ""]
    # Everything below comes from the pasted text: escaped, so its HTML or links show as typed.
    lines += [f"- {escape_markdown(line)}" for line in recipe.describe(settings).splitlines()]
    lines += ["", f"**Fill:** {fill_explanation(config.convention, fill=config.fill, fill_db=config.fill_db)}"]
    notes = recipe.config_notes()
    if notes:
        lines += ["", "**Notes:**", *[f"- {escape_markdown(n)}" for n in notes]]
    return {"policy": "custom", **{k: widened(k, units[k]) for k in AUGMENT}, "recipe_info": "\n".join(lines),
            "state": as_state(v["state"]).replace(recipe=recipe)}


@handler(("export", "framework_hop_ms", "framework_n_mels", *AUGMENT, *ANALYSIS, "state"),
         ("export_text", "export_notes"))
def export_recipe(v):
    """The current sliders as a training framework's SpecAugment fragment, and what it cannot express.

    Sizes still at what the imported recipe converts to are written as the recipe's own numbers, so an
    import followed by an export gives the recipe back at any analysis.
    """
    state, framework = as_state(v["state"]), v["export"]
    settings, config = config_of(v, state)
    hop_ms, mels = framework_units(v["framework_hop_ms"], v["framework_n_mels"])
    text, notes = frameworks.export_recipe(config, settings=settings, framework=framework, hop_ms=hop_ms,
                                           n_mels=mels, recipe=state.recipe_for(config.convention))
    d_hop, d_mels = frameworks.default_units(framework)
    head = f"In {framework}'s units: frames of {hop_ms or d_hop:g} ms, {mels or d_mels} mel channels."
    body = "\n".join(f"- {n}" for n in notes) if notes else f"- {framework} can express all of these settings."
    return {"export_text": text,
            "export_notes": f"{head}\n\n**What {framework} cannot express or draws differently:**\n{body}"}



def _imported(state: PageState):
    """The recipe imported last (Recipes tab), or one message saying to import one."""
    if state.recipe is None:
        raise gr.Error("Import a training config first (Recipes tab: paste it, then Import).", print_exception=False)
    return state.recipe


@handler(("fill_db", *ANALYSIS, "state"), (*ANALYSIS, "policy", *AUGMENT, "recipe_info"))
def native_analysis(v):
    """Switch the analysis to the imported recipe's framework's own (its rate, FFT size, hop and mel count).

    There its frames and channels are the analysis' own, so its numbers are drawn as they are (ESPnet's W = 5
    stays 5 rather than becoming 2 frames of 23.2 ms) and an export gives them back unchanged.
    """
    recipe = _imported(as_state(v["state"]))
    settings = frameworks.native_settings(recipe)
    native = analysis_values(settings)
    for key, value in native.items():
        if value not in BY_KEY[key].choices:
            raise gr.Error(f"{recipe.framework}'s own {BY_KEY[key].label.lower()} ({value}) is not one of this "
                           "page's choices; the command line's --framework-analysis takes it.", print_exception=False)
    config = recipe.to_config(settings, fill_db=float(v["fill_db"]) if v["fill_db"] is not None else -80.0)
    units = lab.units_from_config(config, settings)
    info = (f"**Analysis set to {recipe.framework}'s own:** {settings.sr} Hz, FFT {settings.n_fft}, hop "
            f"{settings.hop_length} ({settings.hop_ms:.3g} ms frames), {settings.n_mels} mel bands: its frames "
            "and channels are this analysis' own, so its numbers are drawn exactly as written.\n\n"
            + "\n".join(f"- {escape_markdown(line)}" for line in recipe.describe(settings).splitlines()))
    return {**native, "policy": "custom", **{k: widened(k, units[k]) for k in AUGMENT}, "recipe_info": info}


#: Recipe B of the comparison: the config imported in the Recipes tab, or a preset.
COMPARE_WITH = (*POLICIES, "imported config")
DEFAULTS["compare_with"] = "LB"  # works before anything is imported


@handler(("audio", *controls.KEYS, "state", "compare_with", "theme"),
         ("compare_plot", "compare_table", "a_compare", "compare_for"))
def compare_recipes(v):
    """Recipe A (the current sliders) against recipe B (the imported config or a preset): how much of a 1 to 30 s
    utterance each hides over 2000 draws (the share of the time and mel axes masked, p5-p95), and B heard on
    this clip with the seed of the page's draw (A is player 3); ``compare_for`` says what B was made for, for
    the transport's fourth voice (:func:`.transport.compare_voice_update`, chained after this)."""
    state, with_ = as_state(v["state"]), v["compare_with"]
    if with_ not in COMPARE_WITH:
        raise gr.Error("Compare with the imported config or one of the presets.", print_exception=False)
    settings, config_a = config_of(v, state)
    recipe = None
    if with_ == "imported config":
        recipe = _imported(state)
        config_b, label_b = recipe.to_config(settings), f"B: the imported {recipe.framework} config"
        name_b = f"{recipe.framework} config"
    else:
        config_b, label_b = policy(with_).to_config(settings), f"B: {with_}"
        name_b = with_
    out = {}
    if v["audio"]:
        check_cost(v, settings)
        analysis = lab.open_clip(v["audio"], settings=settings, max_duration_s=MAX_DURATION_S)
        # The seed of the draw on the page (a kept one too), so that B is drawn as A was; else the seed box's.
        drawn_here = state.draw_for(analysis.key)
        seed = drawn_here[1] if drawn_here else lab.parse_seed(v["seed"])
        record = pipeline.draw_for(analysis, config_b, seed=seed)
        n_iter = n_iter_of(v)
        snd = lab.render_sound(analysis, config_b, record, seed=seed, method=v["method"], n_iter=n_iter,
                               downloads=False, budget=limits.server_budget(), cancel=deadline())
        out["a_compare"] = gr.update(value=str(snd.augmented_wav),
                                     label=f"{label_b}, augmented mel rebuilt · SC {snd.augmented_sc_db:.1f} dB")
        made_for = draw_context(analysis.key, v["method"], n_iter, seed, recipe)
        if recipe is None:
            del made_for["recipe"]  # a preset's B does not change when another config is imported
        out["compare_for"] = {"label": f"{label_b}, seed {seed}", "name": name_b, "for": {**made_for, "with": with_}}
    cmp = stats.compare_recipes([config_a, config_b], labels=["A: the sliders", label_b], settings=settings,
                                theme=page_theme(v["theme"]))
    warnings = "".join(f"\n\n**Warning:** {escape_markdown(w)}" for w in cmp.warnings)
    return {**out, "compare_plot": cmp.figure, "compare_table": cmp.table + warnings}
