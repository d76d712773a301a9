"""Each reach of ``melwav_lab/compat.py`` past Gradio's documented API, checked on the Gradio installed.

These fail loudly when a Gradio release changes what the lab relies on; the lab itself then falls back to
Gradio's public behaviour (see compat.py), slower but correct. The behaviour of the fast render event is
tested in ``tests/test_app.py`` (``test_the_page_event_does_gradios_widget_checks_in_its_own_thread``).
"""

from __future__ import annotations

import pytest
from conftest import free_port

from melwav_lab import compat

pytestmark = pytest.mark.app


def test_the_fast_render_event_is_supported_on_this_gradio():
    assert compat.fast_events_supported(), "Gradio changed what processed_here uses: see melwav_lab/compat.py"
    event = compat.page_event(lambda *a: iter(()), [], [])
    assert event["preprocess"] is False and event["postprocess"] is False


def test_client_watch_is_supported_on_this_gradio():
    assert compat.client_watch_supported(), "Gradio changed its queue's jobs: see melwav_lab/compat.py deadline()"


def test_outside_an_event_only_the_time_limit_applies():
    assert compat.deadline().gone is None


def test_inside_an_event_the_deadline_watches_the_client():
    import gradio as gr
    from gradio_client import Client

    def probe(x):
        d = compat.deadline()
        return f"{d.gone is not None} {d.gone() if d.gone else None}"

    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        box.submit(probe, box, out, api_name="probe")
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        assert Client(f"http://127.0.0.1:{port}/", verbose=False).predict("x", api_name="/probe") == "True False"
    finally:
        demo.close()
