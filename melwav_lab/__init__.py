"""The melwav lab: the browser page (Gradio) over :mod:`melwav`.

Install with ``pip install "melwav[app]"``; run ``melwav-lab`` (or ``python -m melwav_lab``). The core
library (:mod:`melwav`) never imports this package, nor Gradio.
"""
