"""A slider move's figure before Gradio's queue gets to it: the pages' last renders, remembered (issue 21, item 8).

Gradio's queue costs a move ~60-70 ms around its picture (the join, the event stream, loading statuses, the
PNG's own request): more than drawing it. So the page also asks for the picture directly, as soon as it has
packed the controls, with one request that is not queued (``server.picture``: a server function of the
transport's ``gr.HTML``, :func:`.handlers.early_picture`), and shows it when it comes before the render's.
The page's render event runs as before and stays what the page shows in the end; it takes the picture made
here (:meth:`Sessions.picture_for`) rather than drawing it again.

A session is known by a random token the page gets with its render (a server function is not told Gradio's
session hash). What a token gives: its page's last render's values (the clip among them: never a path from
the request) and state, which a picture starts from. Bounds: :data:`MAX_SESSIONS` remembered (the oldest
dropped), one picture at a time per page and :data:`MAX_AT_ONCE` for all (else the page waits for its render,
as before), and one per render the page's queue has run (:attr:`Live.credit`); a render that finds a picture
being made for it waits at most :data:`WAIT_S`. Right after the draw, before the picture, the same request
starts its audio on a thread (:meth:`Sessions.begin_sound`, sharing the slots: it is rebuilt on the other core
while the picture is made), which the render takes instead of rebuilding it; results not taken are dropped
past :data:`MAX_HELD` pages. The page's render joins the queue only once the page has these (at most 1 s: its
queue messages and step would compete with them on the page's one thread), so it mostly confirms them.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import secrets
import threading

from melwav.limits import env_positive

#: Pages remembered at once; the one used least recently is forgotten first (its next render makes it anew).
MAX_SESSIONS = int(env_positive("MELWAV_PREVIEW_SESSIONS", 256))
#: Pictures made outside the queue at once, for all pages (each tens of ms of one core).
MAX_AT_ONCE = 2
#: How long a render waits for the picture a preview is making for it (then it draws its own).
WAIT_S = 1.0
#: Longest token the page may send (:func:`new_token` makes 22 characters).
MAX_TOKEN_CHARS = 64
#: Pages whose early picture or sound may wait at once for their render to take it (each holds a draw's arrays,
#: up to tens of MB for a 30 s clip); past it, the oldest are dropped (their renders make their own).
MAX_HELD = 8
#: Early sounds the pages may still ask for (a path each).
MAX_WAVS = 64


def new_token() -> str:
    """A page's token: unguessable, so a page's picture is made from its own render only."""
    return secrets.token_urlsafe(16)


@dataclasses.dataclass
class Live:
    """One page: its last render's values and state, and the picture made for it last (``made``: key, Picture)."""

    values: dict | None
    state: object
    token: str = ""
    running: threading.Event | None = None
    made: tuple | None = None
    #: Whether a render has run since the page's last early picture: one early picture (and sound) per render,
    #: so a page gets no more work done outside the queue than its renders do inside it.
    credit: bool = True
    #: The sound started after the early picture (see :meth:`Sessions.begin_sound`).
    sound: tuple | None = None


class Sessions:
    """The pages' last renders, by token (thread-safe; bounded: :data:`MAX_SESSIONS`, :data:`MAX_AT_ONCE`)."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, max_at_once: int = MAX_AT_ONCE):
        self._pages: collections.OrderedDict[str, Live] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_at_once)
        self._held: collections.OrderedDict[int, Live] = collections.OrderedDict()
        self._wavs: collections.OrderedDict[str, tuple] = collections.OrderedDict()
        self.max_sessions = max_sessions

    def __len__(self) -> int:
        return len(self._pages)

    def remember(self, token: str, values: dict, state) -> None:
        """What the page's render ran with (``values``) and left (``state``): where its next picture starts."""
        with self._lock:
            live = self._pages.pop(token, None) or Live(None, None, token)
            live.values, live.state, live.credit = dict(values), state, True
            self._pages[token] = live
            while len(self._pages) > self.max_sessions:
                self._pages.popitem(last=False)

    def forget(self, token: str) -> None:
        """Another event changed the page's state or clip: no picture until its next render says what they are."""
        with self._lock:
            live = self._pages.get(token)
            if live is not None:
                live.values, live.made = None, None
                if live.sound is not None and live.sound[1].done():
                    live.sound = None

    def start(self, token) -> Live | None:
        """The page's last render, marked busy, when a picture may be made for it now (else None)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            return None
        with self._lock:
            live = self._pages.get(token)
            if live is None or live.values is None or live.running is not None or not live.credit:
                return None
            if not self._slots.acquire(blocking=False):
                return None
            self._pages.move_to_end(token)
            live.running, live.made, live.credit = threading.Event(), None, False
            return live

    def finish(self, live: Live, made: tuple | None) -> None:
        """The picture ``start`` allowed is done (``made``: its key and Picture, or None)."""
        with self._lock:
            live.made, done, live.running = made, live.running, None
            self._slots.release()
            if made is not None:
                self._hold(live)
        done.set()

    def _hold(self, live: Live) -> None:
        """``live`` holds a result for its render; the oldest holders past :data:`MAX_HELD` drop theirs."""
        held = self._held
        held[id(live)] = live
        held.move_to_end(id(live))
        while len(held) > MAX_HELD:
            _, old = held.popitem(last=False)
            old.made = None
            if old.sound is not None and old.sound[1].done():
                old.sound = None

    def begin_sound(self, live: Live, key) -> tuple | None:
        """A slot for the sound after ``live``'s early picture (None: none free, or its last one still running):
        the entry :meth:`end_sound` completes."""
        with self._lock:
            if live.sound is not None and not live.sound[1].done():
                return None
            if not self._slots.acquire(blocking=False):
                return None
            # (key, the Sound's Future, id, the Future of what the page may fetch of it: the WAV's path). The page
            # finds the latter by id (small, and there even once the render took the sound).
            live.sound = (key, concurrent.futures.Future(), secrets.token_urlsafe(6), concurrent.futures.Future())
            self._wavs[live.sound[2]] = (live.token, live.sound[3])
            while len(self._wavs) > MAX_WAVS:
                self._wavs.popitem(last=False)[1][1].cancel()
            return live.sound

    def end_sound(self, live: Live, entry: tuple, sound) -> None:
        """The early sound ``entry`` is done (``sound``: the Sound, or None when it failed)."""
        with self._lock:  # (under the lock: begin_sound cancels the page's Future of old sounds under it)
            self._slots.release()
            if live.sound is entry and sound is not None:
                self._hold(live)
            entry[1].set_result(sound)
            if not entry[3].done():  # cancelled: the page can no longer ask for it
                # Only a sound whose unaugmented clips stayed: the page keeps those and swaps the augmented one.
                entry[3].set_result(sound.augmented_wav if sound is not None and sound.original_wav is None
                                    else None)

    def sound_for(self, token: str, key, timeout_s: float) -> tuple:
        """The sound started after this page's early picture and its id, if made for ``key`` (taken once; waits
        for it); else ``(None, "")``."""
        live = self._pages.get(token) if token else None
        current = live.sound if live is not None else None
        if current is None or current[0] != key:
            return None, ""
        try:
            sound = current[1].result(timeout_s)
        except concurrent.futures.TimeoutError:
            return None, ""
        with self._lock:
            if live.sound is current:
                live.sound = None
        return sound, (current[2] if sound is not None else "")

    async def wait_wav(self, token, sound_id, timeout_s: float):
        """For the page (no thread held while it waits): the augmented WAV of its early sound ``sound_id`` once
        rebuilt, asked once; None when it is not that page's, failed, or changed the unaugmented clips too."""
        if not isinstance(token, str) or not isinstance(sound_id, str):
            return None
        with self._lock:
            wav = self._wavs.pop(sound_id, None)  # one answer an id: the page asks once
        if wav is None or wav[0] != token:
            return None
        done, _ = await asyncio.wait({asyncio.wrap_future(wav[1])}, timeout=timeout_s)
        return wav[1].result() if done and not wav[1].cancelled() else None

    def picture_for(self, token: str, key) -> object | None:
        """The picture a preview made for this page with this ``key`` (taken once), waiting for one being made."""
        live = self._pages.get(token) if token else None
        if live is None:
            return None
        running = live.running
        if running is not None:
            running.wait(WAIT_S)
        with self._lock:
            made = live.made
            if made is None or made[0] != key:
                return None
            live.made = None
            return made[1]


#: This process's pages.
SESSIONS = Sessions()

