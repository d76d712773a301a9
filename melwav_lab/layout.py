"""The page: its widgets, where they sit, and which handler each event runs.

Each control's widget is made from its row of :data:`.controls.CONTROLS` at the row's place; every other
widget is named here and kept by name in ``w``, the names the handlers' inputs and outputs use
(:mod:`.handlers`), so an event's inputs and outputs are its handler's (``wired(w, handler)``).
"""

from __future__ import annotations

import gradio as gr

from melwav import frameworks
from melwav.specaugment import POLICIES

from . import controls, guard
from .compat import page_event, unpacking
from .controls import ANALYSIS, PRESET, Control, placed
from .handlers import (
    COMPARE_WITH,
    RECIPE_EXAMPLE,
    analysis_changed,
    compare_recipes,
    early_audio,
    early_picture,
    export_recipe,
    fill_policy,
    import_recipe,
    load_params,
    make_demo,
    native_analysis,
    new_seed,
    pick_draw,
    render,
    render_page,
    solo,
    tab_opened,
    variety,
)
from .settings import ABOUT, EXAMPLES
from .state import PageState
from .transport import (
    CHOSEN_B_JS,
    COMPARE_VOICE_EMPTY,
    DRAW_HELP,
    POLICY_INFO,
    SC_HELP,
    THEME_JS,
    TRANSPORT_DATA_EMPTY,
    TRANSPORT_EMPTY,
    TRANSPORT_FILES_JS,
    TRANSPORT_HELP,
    TRANSPORT_HINT,
    compare_voice_update,
    early_js,
    pack_js,
)


def widget(c: Control) -> gr.components.Component:
    """The widget of one control, as its row describes it."""
    extra = {k: v for k, v in (("elem_id", c.elem_id), ("min_width", c.min_width), ("info", c.info or None))
             if v is not None}
    if c.kind == "slider":
        return gr.Slider(c.minimum, c.maximum, value=c.default, step=c.step, label=c.label, **extra)
    if c.kind == "number":
        return gr.Number(value=c.default, precision=c.precision, label=c.label, show_label=True, **extra)
    if c.kind == "dropdown":
        return gr.Dropdown(list(c.choices), value=c.default, label=c.label, **extra)
    return gr.Checkbox(value=c.default, label=c.label, **extra)


def widgets(w: dict, place: str) -> None:
    """Make the widgets of the controls at ``place`` here, in table order, and keep them in ``w`` by key."""
    for c in placed(place):
        w[c.key] = widget(c)


def wired(w: dict, fn, *, fast: bool = True, packed: tuple = ()) -> dict:
    """The ``fn``/``inputs``/``outputs`` of an event running ``fn``, a handler of :mod:`.handlers`, with its
    widgets' processing in one thread where this Gradio allows it (:func:`.compat.page_event`).

    ``packed`` (a run of ``fn``'s inputs): those reach the event as one input, ``w["controls"]``, the JSON
    the page makes of their values just before (:func:`.transport.pack_js`)."""
    names, outputs = list(fn.inputs), [w[n] for n in fn.outputs]
    if packed:
        at = names.index(packed[0])
        assert tuple(names[at:at + len(packed)]) == tuple(packed), "packed inputs must be a run of the handler's"
        fn = unpacking(fn, at, [w[n] for n in packed])
        names[at:at + len(packed)] = ["controls"]
    inputs = [w[n] for n in names]
    return dict(inputs=inputs, outputs=outputs, **(page_event(fn, inputs, outputs) if fast else dict(fn=fn)))


#: The controls whose move draws anew ("Keep this draw" unticked): the main sliders.
MAIN = frozenset(c.key for c in controls.CONTROLS if c.place in ("main-1", "main-2"))


def slider_places() -> dict:
    """Each slider's label -> [its index in the controls' pack, whether its move unticks Keep] (transport.early_js)."""
    return {c.label: [controls.KEYS.index(c.key), c.key in MAIN] for c in controls.CONTROLS
            if c.kind == "slider" and c.trigger == "input"}


def build() -> gr.Blocks:
    # No analytics: the app must work offline, and a public Space should not phone home for its users.
    with gr.Blocks(title="melwav: hear SpecAugment", delete_cache=(600, 3600), analytics_enabled=False) as demo:
        gr.Markdown("# melwav · hear what SpecAugment does\n\nmasks in cyan, numbered in time order; warp in green.",
                    elem_id="title")
        w = {"state": gr.State(PageState())}  # the page's current draw (PageState)
        w["theme"] = gr.Textbox("light", visible=False, label="page theme")  # set by THEME_JS before each render
        # The controls' values as one JSON list, made in the browser just before each page render (pack_js).
        w["controls"] = gr.Textbox("", visible=False, label="the controls' values")
        w["pending_downloads"] = gr.State({})  # render_page -> show_downloads
        w["downloads_tab"] = gr.State({"open": False})  # whether the Downloads tab is open (tab_opened)
        w["players_key"] = gr.State(())  # which unaugmented clips the players hold (render_page)

        def picture(args):
            """A move's figure outside the queue (the transport's server function ``picture``: early_picture)."""
            return early_picture(args, widgets=[w[k] for k in controls.KEYS])

        async def audio(args):
            """That picture's audio for the transport (the server function ``audio``: early_audio)."""
            return await early_audio(args)

        w["grid_seeds"] = gr.State([])
        w["compare_for"] = gr.State({})  # what recipe B's voice was made for (compare_recipes -> compare_voice_update)
        w["opened"] = gr.State(None)  # a prepared demo, read and checked (load_params), before it sets the widgets
        # ---- first screen: [the figure, then [sliders | transport, draw, players] | what was drawn]. In that
        # order for the keyboard too: the first slider is 3 Tab presses away, Play 8 (web/classroom.js).
        with gr.Row(equal_height=False, elem_id="stage"):
            with gr.Column(scale=8, min_width=360, elem_id="stage-main"):
                w["plot"] = gr.Image(label="Log-mel spectrograms: original | augmented", type="filepath",
                                     show_label=False, interactive=False, elem_id="spectrograms",
                                     buttons=["download", "fullscreen"],
                                     height="max(290px, 40vh)")  # 290 px at 1280x720, more on a taller screen
                with gr.Row(equal_height=False, elem_id="lesson"):
                    with gr.Column(scale=6, min_width=300, elem_id="controls"):
                        w["policy"] = gr.Radio(["custom", *POLICIES], value="LD",
                                               label="Policy preset (fills the sliders)", elem_id="policy",
                                               info=POLICY_INFO)
                        with gr.Row(elem_classes="tight"):
                            widgets(w, "main-1")
                        with gr.Row(elem_classes="tight"):
                            widgets(w, "main-2")
                        gr.Markdown(TRANSPORT_HINT, elem_id="abc-hint")
                    with gr.Column(scale=5, min_width=300, elem_id="listen"):
                        # Its server functions make a move's figure and audio outside the queue (picture and
                        # audio, above: early_picture, early_audio).
                        w["transport"] = gr.HTML(TRANSPORT_EMPTY, elem_id="abc", container=False,
                                                 server_functions=[picture, audio], js_on_load=early_js(
                                                     slider_places(), controls.KEYS.index("keep")))
                        # The transport's data from each render (hidden; web/classroom.js reads it).
                        w["transport_data"] = gr.HTML(TRANSPORT_DATA_EMPTY, elem_id="abc-data-box", container=False,
                                                      visible="hidden")
                        w["transport_files"] = gr.File(file_count="multiple", interactive=False, visible="hidden",
                                                       elem_id="abc-files", label="the transport's files")
                        with gr.Row(elem_classes="tight", elem_id="draw-box"):
                            w["seed"] = widget(controls.BY_KEY["seed"])
                            reroll = gr.Button("New draw", variant="primary", size="sm", elem_id="reroll",
                                               min_width=70)
                            for c in placed("draw"):
                                if c.key not in w:
                                    w[c.key] = widget(c)
                        gr.Markdown(DRAW_HELP, elem_id="draw-help")
                        with gr.Column(elem_classes="players"):
                            w["a_orig"] = gr.Audio(label="1 · original clip", type="filepath", interactive=False,
                                                   elem_id="p1")
                            w["a_orig_rebuilt"] = gr.Audio(label="2 · original mel rebuilt", type="filepath",
                                                           interactive=False, elem_id="p2")
                            w["a_aug"] = gr.Audio(label="3 · augmented mel rebuilt", type="filepath",
                                                  interactive=False, elem_id="p3")
                        gr.Markdown(SC_HELP, elem_id="sc-help")
            with gr.Column(scale=3, min_width=260, elem_id="stage-side"):
                w["drawn"] = gr.Markdown(label="What was drawn", elem_id="drawn", value="*Rendering the first draw…*")
        # ---- everything else, one tab each
        with gr.Tabs(elem_id="more") as tabs:
            with gr.Tab("Clip"):
                with gr.Row():
                    w["audio"] = audio = gr.Audio(value=EXAMPLES[0][0], label="Your clip (upload, record, or pick an example)",
                                     type="filepath", elem_id="clip", sources=["upload", "microphone"])
                    with gr.Column():
                        gr.Examples(EXAMPLES, inputs=[audio],
                                    label="Bundled examples (speech by espeak-ng, synthesised music; CC0)")
                        w["params_file"] = gr.File(
                            label="Open a prepared demo: a params .json (names its clip) or a demo .zip (clip + params)",
                            file_types=[".json", ".zip"], type="filepath", elem_id="demo-file")
            with gr.Tab("More settings"):
                with gr.Row():
                    with gr.Column():
                        widgets(w, "more-1")
                    with gr.Column():
                        widgets(w, "more-2")
                    with gr.Column():
                        widgets(w, "more-3")
                        gr.Markdown("### Bounds in frames and milliseconds")
                        w["bounds"] = gr.Markdown()
            with gr.Tab("Teaching tools"):
                gr.Markdown(TRANSPORT_HELP)
                with gr.Row():
                    solo_btn = gr.Button("Hear each operation of this draw on its own")
                    widgets(w, "teaching")
                with gr.Row():
                    w["a_warp"] = gr.Audio(label="time warp only", type="filepath", interactive=False)
                    w["a_freq"] = gr.Audio(label="frequency masks only", type="filepath", interactive=False)
                    w["a_time"] = gr.Audio(label="time masks only", type="filepath", interactive=False)
                w["solo_pictures"] = gr.Gallery(label="Each operation alone: original | augmented by it", columns=3,
                                           height="auto", object_fit="contain", allow_preview=True)
                w["solo_mels"] = gr.File(label="Their mel spectrograms (.npy: warp, frequency, time)",
                                    file_count="multiple", interactive=False, height=110)
                variety_btn = gr.Button("Show 8 draws of these settings (click one to make it current)")
                # Two whole rows of whole thumbnails (a fixed height: "auto" cut the second row in half).
                w["gallery"] = gr.Gallery(label="Draws (seed under each)", columns=4, rows=2, height=600,
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
                    w["framework"] = gr.Dropdown(["auto", *frameworks.FRAMEWORKS], value="auto", label="Framework",
                                                info="auto: guessed from the text")
                    w["framework_hop_ms"] = gr.Number(value=0, label="Its feature hop (ms)", minimum=0,
                                           info="what one of its frames lasts; 0 = the config's, else the default (10)")
                    w["framework_n_mels"] = gr.Number(value=0, precision=0, minimum=0, label="Its mel channels",
                                           info="0 = the config's, else the default (80)")
                w["config"] = gr.Code(language="yaml", lines=8, label="Training config (paste here)",
                                   value=RECIPE_EXAMPLE)
                with gr.Row():
                    import_btn = gr.Button("Import: set the sliders and render", variant="primary")
                    native_btn = gr.Button("Use its framework's own analysis (exact frames)")
                w["recipe_info"] = gr.Markdown()
                with gr.Row():
                    w["export"] = gr.Dropdown(list(frameworks.FRAMEWORKS), value="espnet",
                                                label="Export the current sliders to")
                    export_btn = gr.Button("Export")
                w["export_text"] = gr.Code(language="python", lines=6, label="Fragment for your training config",
                                   interactive=False)
                w["export_notes"] = gr.Markdown()
            with gr.Tab("Compare recipes"):
                gr.Markdown("**A** is the current sliders; **B** the config imported in the Recipes tab or a preset. "
                            "The curves show how much of an utterance of 1 to 30 s each hides (2000 draws each: the "
                            "mean, and p5 to p95 as a band). B is heard on this clip with the seed of the page's draw, "
                            "in step with the others: key **4** (or its button) switches to B, **3** back to A, at the "
                            "same playhead. A new clip, seed or analysis, or another B, takes B out until you compare "
                            "again.")
                with gr.Row():
                    w["compare_with"] = gr.Dropdown(list(COMPARE_WITH), value="LB", label="Recipe B",
                                                    elem_id="compare-with")
                    compare_btn = gr.Button("Compare A and B", variant="primary")
                w["compare_voice"] = gr.HTML(COMPARE_VOICE_EMPTY, elem_id="compare-voice", container=False)
                w["compare_plot"] = gr.Plot(label="Masked share against utterance length", show_label=False)
                w["a_compare"] = gr.Audio(label="B, augmented mel rebuilt", type="filepath", interactive=False,
                                          elem_id="p-compare")
                w["compare_table"] = gr.Markdown()
            with gr.Tab("Analysis"):
                with gr.Row():
                    widgets(w, "analysis")
                gr.Markdown("Changing the analysis converts the sliders: a preset is recomputed for the new frames and "
                            "bands; hand-set values keep their durations (ms) and their share of the mel scale.")
            with gr.Tab("Downloads"):
                w["files"] = gr.File(label="Augmented WAV, mel (.npy), figure (.png), params (.json)",
                                file_count="multiple", interactive=False, elem_id="downloads")
                gr.Markdown("Replay the exact draw from the command line: "
                            "`python -m melwav your_clip.wav -o same.wav --params <downloaded>.json`")
                demo_btn = gr.Button("Make a demo file (.zip: this clip + these params, opens in one step)")
                w["demo_zip"] = gr.File(label="Demo file", interactive=False)
            if ABOUT:
                with gr.Tab("About"):
                    gr.Markdown(ABOUT)

        # /render (scripts): the whole render in one call, from a button the page does not show.
        gr.Button("render (API)", visible=False).click(**wired(w, render), api_name="render",
                                                       concurrency_limit=2, concurrency_id="render")
        # The page: one event (render_page) that yields the picture first (tens of ms) and then, in the same
        # call, the rebuilt audio, so the eye never waits for the reconstruction. One event rather than a
        # picture event with the audio chained after it: the chain cost a second round trip (the browser took
        # ~25 ms to send the audio event) and a second preprocess of the same inputs (~8 ms: Gradio checks
        # the clip's file path again) before the reconstruction could start. THEME_JS tells it the page's theme.
        # It stays in the queue although the queue's round trip costs more than the picture itself (~70 ms
        # here): outside it, Gradio delivers neither its error messages nor its notes, nor a generator's steps.
        # A move's figure and audio start outside it, though (the transport's server function, early_picture:
        # melwav_lab/preview.py); the pack step waits for them (pack_js), so the render joins the queue after,
        # and takes them when they were made for its very draw.
        # Progress shows on the figure only, never over the players, and "minimal": a small timer until the
        # picture comes, then nothing over the new figure while the audio is rebuilt ("full" would cover the
        # figure with the page's background until the picture comes, then pulse a border around it).
        # Its controls reach it as one input (w["controls"]), packed by the browser in a step of its own just
        # before (pack, below): Gradio's page re-sends a loading status to every input of every event that has
        # completed, at each of the event's seven messages, and gathers a copy of each input's properties;
        # with the twenty controls as inputs that was 7 x 26 component updates a move (README, latency).
        page = dict(wired(w, render_page, packed=controls.KEYS), js=THEME_JS,
                    concurrency_limit=2, concurrency_id="render", api_visibility="private", show_progress="minimal",
                    show_progress_on=[w["plot"]])
        pack = dict(fn=None, inputs=[w[k] for k in controls.KEYS], outputs=[w["controls"]], js=pack_js(),
                    queue=False, show_progress="hidden")
        # A main slider draws anew: "Keep this draw" is unticked on the page, and its render reads it unticked.
        keep_at = controls.KEYS.index("keep")

        def rerender(event, *, early=False):
            """After ``event``: the controls packed (``early``: the figure also asked for outside the queue), then
            the picture, the audio and (the Downloads tab open) the downloads, in one event."""
            return event.then(**dict(pack, js=pack_js(early=early))).then(**page)

        def render_on(listener, *, unkeep=False, early=False, **how):
            """On ``listener`` (a widget's event): the controls packed (``unkeep``: "Keep this draw" read unticked;
            ``early``: the figure also asked for outside the queue), then the page's render (``how``: its trigger
            mode). Not early where the clip changes: the early picture is of the page's last render's clip."""
            js = pack_js(keep_at if unkeep else None, early=early)
            return listener(**dict(pack, js=js)).then(**page, **how)

        # "always_last": a move made while a render runs waits for it to end (picture and audio), then renders
        # the latest values once; moves in between are not rendered.
        render_on(audio.change, trigger_mode="always_last")
        render_on(demo.load)
        main = MAIN
        # Before the renders' packs (Gradio runs an input's events in the order they were added, each after the
        # one before: an early pack waits for its figure and audio), so "Keep" and "custom" change at once.
        for key in sorted(main):
            w[key].input(None, None, w["keep"], js="() => false", queue=False, show_progress="hidden")
        # A hand edit of a preset's number makes the preset "custom" (in the browser: no round trip).
        for key in PRESET:
            w[key].input(None, None, w["policy"], js="() => 'custom'", queue=False, show_progress="hidden")
        for c in controls.CONTROLS:
            if c.trigger == "input":
                render_on(w[c.key].input, unkeep=c.key in main, early=True, trigger_mode="always_last")
        for c in controls.CONTROLS:
            if c.trigger == "submit":  # the seed: a new one typed is a new draw, as "New draw" is
                if c.key == "seed":
                    w[c.key].submit(None, None, w["keep"], js="() => false", queue=False, show_progress="hidden")
                render_on(w[c.key].submit, unkeep=c.key == "seed", early=True)
        for key in ANALYSIS:
            rerender(w[key].input(**wired(w, analysis_changed), api_visibility="private", show_progress="hidden"))
        # A preset sets the main sliders, so it draws anew as they do: "Keep this draw" is unticked in the browser
        # first (Gradio runs an input's events in the order they were added), then the preset's sliders and
        # render; "custom" leaves the sliders, the tick and the draw as they are.
        w["policy"].input(None, [w["policy"], w["keep"]], w["keep"], js="(p, keep) => p === 'custom' && keep",
                          queue=False, show_progress="hidden")
        rerender(w["policy"].input(**wired(w, fill_policy), api_name="policy", show_progress="hidden"), early=True)
        rerender(reroll.click(new_seed, None, w["seed"], api_visibility="private", show_progress="hidden").then(
            lambda: False, None, w["keep"], api_visibility="private", show_progress="hidden"), early=True)
        w["transport_files"].change(None, [w["transport_files"], w["transport_data"]],
                                    [w["a_orig"], w["a_orig_rebuilt"], w["a_aug"]], js=TRANSPORT_FILES_JS,
                                    queue=False, show_progress="hidden")
        solo_btn.click(**wired(w, solo), js=THEME_JS, api_name="solo", concurrency_limit=2, concurrency_id="render")
        variety_btn.click(**wired(w, variety), js=THEME_JS, api_name="variety", concurrency_limit=2,
                          concurrency_id="render")
        rerender(w["gallery"].select(pick_draw, [w["grid_seeds"]], [w["seed"], w["keep"]], api_visibility="private"))
        # /load_params (scripts) in one call; the page opens a demo in two steps: the file is read and checked
        # into a State (a refusal is one message, and no widget is marked or covered), then the widgets are set.
        opened = wired(w, load_params, fast=False)
        gr.Button("load params (API)", visible=False).click(**wired(w, load_params), api_name="load_params")
        rerender(w["params_file"].upload(
            lambda *args: list(opened["fn"](*args)), opened["inputs"], [w["opened"]], api_visibility="private",
            show_progress="hidden",
        ).success(tuple, [w["opened"]], opened["outputs"], api_visibility="private", show_progress="hidden"))
        rerender(import_btn.click(**wired(w, import_recipe), api_name="import_recipe"))
        rerender(native_btn.click(**wired(w, native_analysis), api_name="native_analysis"))
        compare_btn.click(**wired(w, compare_recipes), js=THEME_JS, api_name="compare_recipes", concurrency_limit=2,
                          concurrency_id="render").success(**wired(w, compare_voice_update, fast=False),
                                                           api_visibility="private", show_progress="hidden",
                                                           queue=False)
        # Another B chosen: the transport's B voice (the one compared before) is out of date until compared again.
        w["compare_with"].change(None, [w["compare_with"]], None, js=CHOSEN_B_JS, queue=False, show_progress="hidden")
        export_btn.click(**wired(w, export_recipe), api_name="export_recipe")
        demo_btn.click(**wired(w, make_demo), api_name="demo_file")
        tabs.select(tab_opened, [w["pending_downloads"], w["downloads_tab"]], [w["files"]], api_visibility="private",
                    show_progress="hidden")
    return guard.install(demo)  # one group for every heavy event, per-session bounds, short messages

