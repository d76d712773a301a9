"""melwav in the browser: hear what SpecAugment does, side by side (Gradio).

This file only wires widgets to :mod:`melwav` and turns its errors into messages on the page; the
signal processing, caching and files live in the package (mostly :mod:`melwav.lab`).
Run: ``python app.py`` (or as a Hugging Face Space).
"""

from __future__ import annotations

import functools
import logging
import os
import pathlib
import random

import gradio as gr

from melwav import frameworks, lab, pipeline
from melwav.errors import MelwavError
from melwav.features import MelSettings
from melwav.frameworks import fill_explanation
from melwav.reconstruction import DEFAULT_METHOD, METHODS
from melwav.specaugment import FILL_MODES, POLICIES, AugmentRecord, conventions

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLES = [[str(HERE / "assets" / "speech.wav")], [str(HERE / "assets" / "music.wav")]]
MAX_DURATION_S = float(os.environ.get("MELWAV_MAX_DURATION_S", "30"))
MAX_FILE_SIZE = os.environ.get("MELWAV_MAX_FILE_SIZE", "25mb")
VARIETY_N = 8
log = logging.getLogger("melwav.app")

ABOUT = (HERE / "melwav" / "about.md").read_text(encoding="utf-8") if (HERE / "melwav" / "about.md").exists() else ""


def friendly(fn):
    """Show melwav's own errors as a message in the page; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except MelwavError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except MemoryError:
            raise gr.Error("That needs more memory than this server has; try a shorter clip.") from None
        except Exception as exc:  # a bug: log it for us, say something useful to the person
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(f"Something went wrong inside melwav ({type(exc).__name__}); try other settings.") from None

    return wrapper


def _settings(sr, n_fft, hop, n_mels) -> MelSettings:
    return MelSettings(sr=int(sr), n_fft=int(n_fft), hop_length=int(hop), n_mels=int(n_mels))


def _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db, convention):
    return lab.config_from_units(
        settings, warp_ms=warp_ms, freq_mask_bands=freq_bands, n_freq_masks=n_freq, time_mask_ms=time_ms,
        n_time_masks=n_time, max_time_ratio=p, width_ratio=width_ratio, masks_per_frame=per_frame, fill=fill,
        fill_db=fill_db, convention=convention,
    )


def _n_iter(value):
    return None if value is None or int(value) < 0 else int(value)


@friendly
def render(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db,
           convention, method, n_iter, seed, keep, sr, n_fft, hop, n_mels, show_rebuilt, held,
           progress=gr.Progress()):
    """Augment the clip's log-mel and rebuild audio from the original and the augmented mel."""
    if not audio:
        # The clip was cleared (or is being replaced): keep what is on the page rather than raise.
        return tuple(gr.skip() for _ in range(8))
    settings = _settings(sr, n_fft, hop, n_mels)
    progress(0.05, desc="analysing the clip")
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                     fill_db, convention)
    seed = lab.parse_seed(seed)
    record = None
    if keep and held and held.get("record"):
        record = AugmentRecord.from_dict(held["record"])
        if (record.n_mels, record.n_frames) != (analysis.n_mels, analysis.n_frames):
            gr.Warning("The kept draw was made for another clip or analysis; drawing anew.")
            record = None
        else:
            seed = int(held.get("seed", seed))
    progress(0.2, desc="rebuilding audio from the mel spectrograms")
    view = lab.render_view(analysis, config, seed=seed, method=method, n_iter=_n_iter(n_iter), record=record,
                           policy_name=lab.matching_policy(config, settings), show_rebuilt_mel=bool(show_rebuilt))
    for note in view.notes:
        gr.Info(note)
    held = {"record": view.record.to_dict(), "seed": view.seed, "clip": analysis.key}
    return (
        str(view.figure_png),
        view.description,
        view.bounds,
        gr.update(value=str(view.original_wav)),
        gr.update(value=str(view.original_rebuilt_wav),
                  label=f"2 · original mel rebuilt · SC {view.original_sc_db:.1f} dB"),
        gr.update(value=str(view.augmented_wav),
                  label=f"3 · augmented mel rebuilt · SC {view.augmented_sc_db:.1f} dB"),
        [str(p) for p in view.downloads],
        held,
    )


@friendly
def fill_policy(name, sr, n_fft, hop, n_mels):
    """Set the sliders to a preset, converted to the current hop and number of mel bands."""
    settings = _settings(sr, n_fft, hop, n_mels)
    u = lab.policy_units(name, settings)
    return (u["warp_ms"], u["n_freq_masks"], u["freq_mask_bands"], u["n_time_masks"], u["time_mask_ms"],
            u["max_time_ratio"], u["width_ratio"], u["masks_per_frame"])


def new_seed():
    return random.randint(0, 999_999)


@friendly
def solo(audio, sr, n_fft, hop, n_mels, method, n_iter, held):
    """The current draw's time warp, frequency masks and time masks, each heard on its own."""
    if not held or not held.get("record"):
        raise gr.Error("Render a draw first (pick an example or upload a clip).")
    settings = _settings(sr, n_fft, hop, n_mels)
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    record = AugmentRecord.from_dict(held["record"])
    if (record.n_mels, record.n_frames) != (analysis.n_mels, analysis.n_frames):
        raise gr.Error("The current draw belongs to another clip; render this clip first.")
    outs, mels = [], []
    for op in ("warp", "freq", "time"):
        wav, mel, sc = lab.render_solo(analysis, record, op, seed=int(held.get("seed", 0)), method=method,
                                       n_iter=_n_iter(n_iter))
        outs.append(gr.update(value=str(wav), label=f"{_SOLO_LABEL[op]} · SC {sc:.1f} dB"))
        mels.append(str(mel))
    return (*outs, mels)


_SOLO_LABEL = {"warp": "time warp only", "freq": "frequency masks only", "time": "time masks only"}


@friendly
def variety(audio, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db,
            convention, seed, sr, n_fft, hop, n_mels):
    """Eight draws of the current settings, to see the variety of a policy."""
    settings = _settings(sr, n_fft, hop, n_mels)
    analysis = lab.open_clip(audio, settings=settings, max_duration_s=MAX_DURATION_S)
    config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                     fill_db, convention)
    draws = lab.variety(analysis, config, first_seed=lab.parse_seed(seed), n=VARIETY_N)
    return [(str(png), f"seed {s}") for png, s, _ in draws], [s for _, s, _ in draws]


def pick_draw(seeds, evt: gr.SelectData):
    """Clicking a thumbnail makes its seed the current draw."""
    if not seeds or evt.index is None:
        raise gr.Error("Make a grid of draws first.")
    index = evt.index if isinstance(evt.index, int) else evt.index[0]
    return seeds[index], False


@friendly
def load_params(file, audio, sr, n_fft, hop, n_mels):
    """Restore settings and the exact draw from a params JSON exported by the app or the command line."""
    if file is None:
        raise gr.Error("Choose a params .json file first.")
    params = pipeline.read_params(file)
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
        settings.sr, settings.n_fft, settings.hop_length, settings.n_mels, held,
    )


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
def import_recipe_handler(text, framework, fw_hop_ms, fw_n_mels, fill_db, sr, n_fft, hop, n_mels):
    """Read a training config's SpecAugment settings and set the sliders to them (converted to this analysis).

    Returns the policy ("custom"), the eight size sliders, fill, fill level, draw rules, and a Markdown report.
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
    lines += [f"- {line}" for line in recipe.describe(settings).splitlines()]
    lines += ["", f"**Fill:** {fill_explanation(config.convention, fill=config.fill, fill_db=config.fill_db)}"]
    notes = recipe.config_notes()
    if notes:
        lines += ["", "**Notes:**", *[f"- {n}" for n in notes]]
    sliders = [_slider(key, u[key]) for key in _IMPORT_ORDER]
    return ("custom", *sliders, u["fill"], u["fill_db"], config.convention, "\n".join(lines))


@friendly
def export_recipe_handler(framework, fw_hop_ms, fw_n_mels, warp_ms, n_freq, freq_bands, n_time, time_ms, p,
                          width_ratio, per_frame, fill, fill_db, convention, sr, n_fft, hop, n_mels):
    """The current sliders as a training framework's SpecAugment fragment, and what it cannot express."""
    settings = _settings(sr, n_fft, hop, n_mels)
    config = _config(settings, warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill,
                     fill_db, convention)
    hop_ms, mels = _framework_units(fw_hop_ms, fw_n_mels)
    text, notes = frameworks.export_recipe(config, settings=settings, framework=framework, hop_ms=hop_ms,
                                           n_mels=mels)
    d_hop, d_mels = frameworks.default_units(framework)
    head = f"In {framework}'s units: frames of {hop_ms or d_hop:g} ms, {mels or d_mels} mel channels."
    body = "\n".join(f"- {n}" for n in notes) if notes else f"- {framework} can express all of these settings."
    return text, f"{head}\n\n**What {framework} cannot express or draws differently:**\n{body}"


def build() -> gr.Blocks:
    # No analytics: the app must work offline, and a public Space should not phone home for its users.
    with gr.Blocks(title="melwav: hear SpecAugment", delete_cache=(600, 3600), analytics_enabled=False) as demo:
        gr.Markdown(
            "# melwav · hear what SpecAugment does\n"
            "Pick or record a clip, move the sliders, then compare the original, its mel rebuilt "
            "(reconstruction alone) and the augmented mel rebuilt. The draw is marked in cyan (masks) and green (warp)."
        )
        start = lab.policy_units("LD", MelSettings())
        held = gr.State({})
        grid_seeds = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                audio = gr.Audio(value=EXAMPLES[0][0], label="Your clip (upload, record, or pick an example below)", type="filepath",
                                 elem_id="clip",
                                 sources=["upload", "microphone"])
                gr.Examples(EXAMPLES, inputs=[audio],
                            label="Bundled examples (speech by espeak-ng, synthesised music; CC0)")
            with gr.Column(scale=2):
                policy = gr.Dropdown(["custom", *POLICIES], value="LD", label="Policy preset (fills the sliders)",
                                     info="Park et al. 2019: LB, LD, SM, SS; 'adaptive': Park et al. 2020")
                with gr.Row():
                    seed = gr.Number(value=7, precision=0, label="Seed", info="same seed + settings = same draw")
                    reroll = gr.Button("New draw (new seed)", variant="primary")
                keep = gr.Checkbox(value=False, label="Keep this draw",
                                   info="hold the current masks and warp while you change fill or reconstruction")
        # The figure is rendered once, to the PNG that is also offered for download.
        plot = gr.Image(label="Log-mel spectrograms: original | augmented", type="filepath", show_label=False,
                        interactive=False, elem_id="spectrograms", buttons=["download", "fullscreen"])
        with gr.Row():
            a_orig = gr.Audio(label="1 · original clip", type="filepath", interactive=False)
            a_orig_rebuilt = gr.Audio(label="2 · original mel rebuilt", type="filepath",
                                      interactive=False)
            a_aug = gr.Audio(label="3 · augmented mel rebuilt", type="filepath",
                             interactive=False)
        with gr.Row():
            with gr.Column():
                gr.Markdown("### Time warp")
                warp_ms = gr.Slider(0, 2000, value=start["warp_ms"], step=10, label="W: largest warp shift (ms)")
                gr.Markdown("### Frequency masks")
                n_freq = gr.Slider(0, 20, value=start["n_freq_masks"], step=1, label="mF: number of frequency masks")
                freq_bands = gr.Slider(0, 128, value=start["freq_mask_bands"], step=1, label="F: largest width (mel bands)")
            with gr.Column():
                gr.Markdown("### Time masks")
                n_time = gr.Slider(0, 40, value=start["n_time_masks"], step=1, label="mT: number of time masks")
                time_ms = gr.Slider(0, 3000, value=start["time_mask_ms"], step=10, label="T: largest width (ms)")
                p = gr.Slider(0, 1, value=1.0, step=0.05, label="p: a mask is at most p × clip length")
                with gr.Row():
                    width_ratio = gr.Slider(0, 0.3, value=0.0, step=0.01, label="pS: adaptive width (× length, 0 = off)")
                    per_frame = gr.Slider(0, 0.1, value=0.0, step=0.005, label="pM: adaptive masks per frame (0 = off)")
            with gr.Column():
                gr.Markdown("### Fill and reconstruction")
                fill = gr.Dropdown(list(FILL_MODES), value="mean", label="Masked cells become",
                                   info="mean: the paper's choice · floor: silence · value: the level below")
                fill_db = gr.Slider(-120, 0, value=-60, step=1, label="Fill level (dB re. peak, for 'value')")
                convention = gr.Dropdown(list(conventions()), value="melwav", label="Draw rules",
                                         info="melwav = the papers'; or a training framework's")
                method = gr.Dropdown(list(METHODS), value=DEFAULT_METHOD, label="Reconstruction method")
                n_iter = gr.Slider(-1, 200, value=-1, step=1, label="Iterations (-1 = the method's default)")
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown("### What was drawn")
                drawn = gr.Markdown(label="What was drawn")
            with gr.Column(scale=2):
                gr.Markdown("### Bounds in frames and milliseconds")
                bounds = gr.Markdown()
        with gr.Accordion("Downloads: augmented WAV, mel (.npy), figure (.png), params (.json)", open=False):
            files = gr.File(label="Files", file_count="multiple", interactive=False)
            gr.Markdown("Replay the exact draw from the command line: "
                        "`python -m melwav your_clip.wav -o same.wav --params <downloaded>.json`")
        with gr.Accordion("Analysis settings", open=False):
            with gr.Row():
                sr = gr.Dropdown([16000, 22050, 44100], value=22050, label="Sample rate (Hz)")
                n_fft = gr.Dropdown([512, 1024, 2048, 4096], value=2048, label="FFT size")
                hop = gr.Dropdown([128, 160, 256, 320, 512, 1024], value=512, label="Hop (samples)")
                n_mels = gr.Dropdown([40, 64, 80, 128], value=128, label="Mel bands")
        with gr.Accordion("Import / export a training recipe (" + ", ".join(frameworks.FRAMEWORKS) + ")", open=False):
            gr.Markdown(
                "Paste the SpecAugment part of a training config to hear it on this clip: an ESPnet "
                "`specaug_conf` or NeMo `spec_augment` (YAML), a torchaudio `SpecAugment(...)` call, lingvo "
                "`p.name = value` lines, a Whisper (transformers) `config.json` or `from_pretrained(...)` "
                "arguments, a WeNet `dataset_conf`, an icefall/lhotse `SpecAugment(...)` call, flags or "
                "state_dict, a fairseq S2T data `config.yaml`, or SpeechBrain hparams YAML. Nothing pasted is "
                "run. Sizes are converted by duration (ms) and by share of the mel bank, and the masks are drawn "
                "by that framework's rules. Export goes the other way.\n\n"
                "Examples: NeMo `spec_augment: {freq_masks: 2, freq_width: 27, time_masks: 10, time_width: 0.05}` · "
                "torchaudio `SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, freq_mask_param=27)` · "
                "lingvo `p.freq_mask_max_bins = 27`"
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
        with gr.Accordion("For teaching: each operation alone, variety of draws, replay a prepared demo", open=False):
            with gr.Row():
                solo_btn = gr.Button("Hear each operation of this draw on its own")
                show_rebuilt = gr.Checkbox(False, label="Also plot the mel of the rebuilt augmented audio")
            with gr.Row():
                a_warp = gr.Audio(label="time warp only", type="filepath", interactive=False)
                a_freq = gr.Audio(label="frequency masks only", type="filepath", interactive=False)
                a_time = gr.Audio(label="time masks only", type="filepath", interactive=False)
            solo_mels = gr.File(label="Their mel spectrograms (.npy: warp, frequency, time)", file_count="multiple",
                                interactive=False, height=110)
            variety_btn = gr.Button("Show 8 draws of these settings (click one to make it current)")
            gallery = gr.Gallery(label="Draws (seed under each)", columns=4, height="auto", allow_preview=False)
            params_file = gr.File(label="Load a params .json (from the app or the command line)",
                                  file_types=[".json"], type="filepath")
        if ABOUT:
            with gr.Accordion("About: what SpecAugment does and how the audio is rebuilt", open=False):
                gr.Markdown(ABOUT)

        aug_inputs = [warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame, fill, fill_db, convention]
        analysis_inputs = [sr, n_fft, hop, n_mels]
        render_inputs = [audio, *aug_inputs, method, n_iter, seed, keep, *analysis_inputs, show_rebuilt, held]
        render_outputs = [plot, drawn, bounds, a_orig, a_orig_rebuilt, a_aug, files, held]
        heavy = dict(fn=render, inputs=render_inputs, outputs=render_outputs, concurrency_limit=2,
                     concurrency_id="render")
        policy_sliders = [warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame]

        private = dict(heavy, api_visibility="private")
        audio.change(api_name="render", trigger_mode="always_last", **heavy)
        demo.load(**private)
        for ctl in [*aug_inputs, method, n_iter, keep, show_rebuilt]:
            ctl.input(trigger_mode="always_last", show_progress="minimal", **private)
        seed.submit(**private)
        for ctl in analysis_inputs:
            ctl.input(fill_policy, [policy, *analysis_inputs], policy_sliders, api_visibility="private").then(**private)
        policy.input(fill_policy, [policy, *analysis_inputs], policy_sliders, api_name="policy").then(**private)
        reroll.click(new_seed, None, seed, api_visibility="private").then(
            lambda: False, None, keep, api_visibility="private").then(**private)
        solo_btn.click(solo, [audio, *analysis_inputs, method, n_iter, held], [a_warp, a_freq, a_time, solo_mels],
                       api_name="solo", concurrency_limit=2, concurrency_id="render")
        variety_btn.click(variety, [audio, *aug_inputs, seed, *analysis_inputs], [gallery, grid_seeds],
                          api_name="variety", concurrency_limit=2, concurrency_id="render")
        gallery.select(pick_draw, [grid_seeds], [seed, keep], api_visibility="private").then(**private)
        params_file.upload(
            load_params, [params_file, audio, *analysis_inputs],
            [policy, *aug_inputs, method, n_iter, seed, keep, *analysis_inputs, held], api_name="load_params",
        ).then(**private)
        import_btn.click(
            import_recipe_handler, [rec_text, rec_framework, rec_hop_ms, rec_n_mels, fill_db, *analysis_inputs],
            [policy, *aug_inputs, rec_info], api_name="import_recipe",
        ).then(**private)
        export_btn.click(export_recipe_handler, [exp_framework, rec_hop_ms, rec_n_mels, *aug_inputs, *analysis_inputs],
                         [exp_text, exp_notes], api_name="export_recipe")
    return demo


demo = build()
demo.queue(max_size=int(os.environ.get("MELWAV_QUEUE_SIZE", "32")), default_concurrency_limit=2)

# Gradio wraps the figure in an unnamed button; name it (and the image) for screen readers and keyboards.
LABEL_FIGURE_JS = """
() => {
  const label = () => document.querySelectorAll('#spectrograms button:not([aria-label])').forEach(b => {
    b.setAttribute('aria-label', 'Log-mel spectrograms, original and augmented (opens full screen)');
    b.querySelectorAll('img').forEach(i => i.setAttribute('alt', 'original and augmented log-mel spectrograms'));
  });
  new MutationObserver(label).observe(document.body, {subtree: true, childList: true});
  label();
}
"""

LAUNCH_KWARGS = dict(
    js=LABEL_FIGURE_JS,
    max_file_size=MAX_FILE_SIZE,
    enable_monitoring=False,
    show_error=True,
    theme=gr.themes.Soft(),
)

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    demo.launch(**LAUNCH_KWARGS)
