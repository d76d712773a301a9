"""The page: its widgets, where they sit, and which handler each event runs."""

from __future__ import annotations

import gradio as gr

from melwav import frameworks, lab
from melwav.features import MelSettings
from melwav.reconstruction import DEFAULT_METHOD, METHODS
from melwav.specaugment import FILL_MODES, POLICIES, conventions

from .compat import processed_here
from .handlers import (
    RECIPE_EXAMPLE,
    analysis_changed,
    export_recipe_handler,
    fill_policy,
    import_recipe_handler,
    load_params,
    make_demo,
    new_seed,
    pick_draw,
    render,
    render_page,
    show_downloads,
    solo,
    tab_opened,
    variety,
)
from .settings import ABOUT, EXAMPLES
from .transport import SC_HELP, THEME_JS, TRANSPORT_EMPTY, TRANSPORT_HELP, TRANSPORT_HINT, transport_update


def build() -> gr.Blocks:
    # No analytics: the app must work offline, and a public Space should not phone home for its users.
    with gr.Blocks(title="melwav: hear SpecAugment", delete_cache=(600, 3600), analytics_enabled=False) as demo:
        gr.Markdown(
            "**melwav · hear what SpecAugment does**: masks in cyan, numbered in time order; warp in green.",
            elem_id="title")
        start = lab.policy_units("LD", MelSettings())
        held = gr.State({})
        theme = gr.Textbox("light", visible=False, label="page theme")  # set by THEME_JS before each render
        pending_downloads = gr.State({})  # render_page -> show_downloads
        downloads_shown = gr.State(False)  # whether the Downloads tab is open (tab_opened)
        players_key = gr.State(())  # which unaugmented clips the players hold (render_page)
        grid_seeds = gr.State([])
        # ---- first screen: the figure, then [sliders | players + what was drawn]
        plot = gr.Image(label="Log-mel spectrograms: original | augmented", type="filepath", show_label=False,
                        interactive=False, elem_id="spectrograms", buttons=["download", "fullscreen"],
                        height="max(290px, 40vh)")  # 290 px at 1280x720, more on a taller screen
        with gr.Row(equal_height=False, elem_id="lesson"):
            with gr.Column(scale=6, min_width=420, elem_id="controls"):
                policy = gr.Radio(["custom", *POLICIES], value="LD", label="Policy preset (fills the sliders)",
                                  elem_id="policy",
                                  info="Park et al. 2019: LB, LD, SM, SS; adaptive: 2020; moving a slider makes it "
                                       "custom")
                with gr.Row(elem_classes="tight"):
                    warp_ms = gr.Slider(0, 2000, value=start["warp_ms"], step=10, label="W: max warp (ms)")
                    n_freq = gr.Slider(0, 20, value=start["n_freq_masks"], step=1, label="mF: freq. masks")
                    freq_bands = gr.Slider(0, 128, value=start["freq_mask_bands"], step=1,
                                           label="F: max bands")
                with gr.Row(elem_classes="tight"):
                    n_time = gr.Slider(0, 40, value=start["n_time_masks"], step=1, label="mT: time masks")
                    time_ms = gr.Slider(0, 3000, value=start["time_mask_ms"], step=10, label="T: max width (ms)")
                    with gr.Column(min_width=150, elem_id="draw-box"):
                        with gr.Row(elem_classes="tight"):
                            seed = gr.Number(value=7, precision=0, label="Seed", elem_id="seed", min_width=70,
                                             show_label=True)
                            reroll = gr.Button("New draw", variant="primary", size="sm", elem_id="reroll",
                                               min_width=70)
                        keep = gr.Checkbox(value=False, label="Keep this draw", elem_id="keep",
                                           info="hold masks and warp; fill and rebuild follow the settings")
                gr.Markdown(TRANSPORT_HINT, elem_id="abc-hint")
            with gr.Column(scale=5, min_width=420, elem_id="listen"):
                transport = gr.HTML(TRANSPORT_EMPTY, elem_id="abc", container=False)
                with gr.Column(elem_classes="players"):
                    a_orig = gr.Audio(label="1 · original clip", type="filepath", interactive=False, elem_id="p1")
                    a_orig_rebuilt = gr.Audio(label="2 · original mel rebuilt", type="filepath",
                                              interactive=False, elem_id="p2")
                    a_aug = gr.Audio(label="3 · augmented mel rebuilt", type="filepath",
                                     interactive=False, elem_id="p3")
                gr.Markdown(SC_HELP, elem_id="sc-help")
                drawn = gr.Markdown(label="What was drawn", elem_id="drawn", max_height=190,
                                    value="*Rendering the first draw…*")
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
        for ctl in [*aug_inputs, method, n_iter, keep, show_rebuilt]:
            ctl.input(trigger_mode="always_last", **page).success(**downloads)
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
        rerender(params_file.upload(
            load_params, [params_file, audio, *analysis_inputs],
            [policy, *aug_inputs, method, n_iter, seed, keep, *analysis_inputs, held, audio], api_name="load_params",
        ))
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

