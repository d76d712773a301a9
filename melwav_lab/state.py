"""What the page remembers between events (kept in a ``gr.State``), and the pure steps that change it.

No Gradio here: each function takes values and returns values, and is tested on its own
(``tests/test_lab_units.py``).
"""

from __future__ import annotations

import dataclasses

from melwav.explain import escape_markdown
from melwav.specaugment import AugmentRecord


@dataclasses.dataclass(frozen=True)
class PageState:
    """The page's current draw and what it has shown.

    ``record`` is the draw on the page (``AugmentRecord.to_dict()``), made with ``seed`` for the clip and
    analysis ``clip`` (``Analysis.key``); ``shown`` the notes already shown as messages for that clip;
    ``axes`` where the figure's panels sit (for the transport's cursor); ``recipe`` the training config
    imported last (its settings that have no slider follow every render while the draw rules are its
    framework's); ``figure``, ``policy`` and ``theme`` those of the figure on the page; ``live`` the page's
    token for pictures made outside the queue (:mod:`melwav_lab.preview`; "" before its first render).
    """

    record: dict | None = None
    seed: int | None = None
    clip: tuple | None = None
    shown: tuple[str, ...] = ()
    axes: tuple = ()
    recipe: object | None = None
    figure: str | None = None
    policy: str | None = None
    theme: str = "light"
    live: str = ""

    def replace(self, **changes) -> PageState:
        return dataclasses.replace(self, **changes)

    @property
    def n_mels(self) -> int | None:
        """The mel bands of the draw on the page (None before the first)."""
        return int(self.record["n_mels"]) if self.record and self.record.get("n_mels") else None

    def draw_for(self, clip_key) -> tuple[AugmentRecord, int] | None:
        """The page's draw and seed when they were made for ``clip_key``, else None."""
        if not self.record or self.clip != clip_key:
            return None
        return AugmentRecord.from_dict(self.record), int(self.seed or 0)

    def recipe_for(self, framework: str):
        """The recipe imported last, if it is ``framework``'s (else None)."""
        recipe = self.recipe
        return recipe if recipe is not None and getattr(recipe, "framework", None) == framework else None


def as_state(value) -> PageState:
    """A ``PageState`` from what an event got (None or an empty value before the first render)."""
    return value if isinstance(value, PageState) else PageState()


def new_notes(state: PageState, clip_key, notes) -> tuple[list[str], tuple[str, ...]]:
    """The notes not yet shown as a message for this clip and analysis, and all shown so far."""
    shown = list(state.shown) if state.clip == clip_key else []
    fresh = [n for n in dict.fromkeys(notes) if n not in shown]
    return fresh, tuple(shown + fresh)


def kept_record(record: dict, config) -> AugmentRecord:
    """The held draw ("Keep this draw"): its positions and widths, with the current fill."""
    return dataclasses.replace(AugmentRecord.from_dict(record), fill=config.fill, fill_db=config.fill_db)


def clip_notes(notes, description: str = "") -> str:
    """The notes not already in ``description``, kept in the page under it (a message shows each only once)."""
    notes = [text for text in dict.fromkeys(escape_markdown(n) for n in notes) if text not in description]
    return "\n\n**Notes on this clip:** " + "; ".join(notes) + "." if notes else ""


def framework_units(hop_ms, n_mels) -> tuple[float | None, int | None]:
    """Blank or 0 in the framework-unit boxes means "the config's, else the framework's default" (None)."""
    hop_ms = None if hop_ms in (None, "") or float(hop_ms) <= 0 else float(hop_ms)
    n_mels = None if n_mels in (None, "") or int(n_mels) <= 0 else int(n_mels)
    return hop_ms, n_mels


def page_theme(value) -> str:
    """The page's theme as the page's script reports it ("light" unless it says "dark")."""
    return value if value in ("light", "dark") else "light"
