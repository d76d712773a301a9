"""What each event of the page (and each named endpoint) does: widget values in, widget values out.

The signal processing, caching and files live in :mod:`melwav` (mostly :mod:`melwav.lab`); a handler turns
widget values into those calls and their results into widget values.
"""

from __future__ import annotations

import dataclasses
import pathlib
import random

import gradio as gr

from melwav import demofile, frameworks, lab, limits, pipeline
from melwav.explain import escape_markdown
from melwav.features import MelSettings
from melwav.frameworks import fill_explanation
from melwav.specaugment import POLICIES, AugmentRecord

from .compat import deadline as _deadline
from .messages import friendly, inert
from .settings import BUNDLED, DEMO_MAX_BYTES, MAX_DURATION_S, MAX_TOASTS, VARIETY_N


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

