"""The Hugging Face Spaces entry: builds the melwav lab from its package (``melwav_lab``) and serves it.

Run locally: ``python app.py`` (or ``melwav-lab`` once installed).
"""

from melwav_lab.app import LAUNCH_KWARGS, create

demo = create()

if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO)
    demo.launch(**LAUNCH_KWARGS)
