"""The lab's defences on the server side, before and around Gradio: request size, uploads, queue share, messages.

A public Space is one process on two cores and a small disk shared by everyone, so each visitor's share is
bounded before the work starts (issue 25):

- :class:`Guard`, an ASGI middleware on the app (``launch(app_kwargs=app_kwargs())``: FastAPI's own
  ``middleware`` argument): a request body over :data:`MAX_BODY_BYTES` (an upload: :data:`MAX_UPLOAD_BYTES`,
  :data:`MAX_UPLOAD_FILES` files) is refused from its ``Content-Length`` before anything is read or parsed,
  and a body that grows past its bound while streaming is cut there. It also notes each upload and the
  requests that name it, so :class:`Uploads` can remove uploads nobody uses.
- :func:`install` (called on the built page): every heavy event shares one concurrency group
  (:data:`HEAVY_ID`, two at a time across ``/render``, ``/solo``, ``/variety``, ``/load_params``,
  ``/import_recipe``, ``/demo_file`` and the page's render), a session may have at most
  :data:`SESSION_MAX_WAITING` heavy jobs waiting, and a newer page render drops the same session's waiting ones.
- Messages and log lines are cut (:func:`cut`): a Gradio error never echoes a whole value (a 1 MB dropdown value
  was a 1 MB response and, printed with its traceback, a 1 MB log line), text inputs have a maximum length
  the server checks, and a refusal by Gradio's own checks is a line in the log, not a traceback.

Settings (environment): ``MELWAV_MAX_BODY_BYTES``, ``MELWAV_MAX_UPLOAD_BYTES``, ``MELWAV_MAX_UPLOAD_FILES``,
``MELWAV_UPLOAD_DISK_BYTES``, ``MELWAV_UPLOAD_UNUSED_S``, ``MELWAV_UPLOAD_IDLE_S``, ``MELWAV_SESSION_QUEUE``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import re
import sys
import threading
import time
import types

import gradio as gr

from melwav.limits import env_positive

from .controls import BY_KEY

log = logging.getLogger("melwav.guard")


def _env_int(name: str, default: int) -> int:
    try:
        value = int(float(os.environ.get(name, "")))
    except ValueError:
        return default
    return value if value > 0 else default


#: A request body that is not an upload: the largest the page sends is an imported recipe (at most 1 MB of text,
#: JSON-escaped) with the page's other values.
MAX_BODY_BYTES = _env_int("MELWAV_MAX_BODY_BYTES", 3_000_000)
#: One upload request: one clip of Gradio's ``max_file_size`` (25 MB) and its multipart framing.
MAX_UPLOAD_BYTES = _env_int("MELWAV_MAX_UPLOAD_BYTES", 26 * 2**20)
#: Files in one upload request (the page sends one; a POST of 40 x 25 MiB put 1 GB on disk).
MAX_UPLOAD_FILES = _env_int("MELWAV_MAX_UPLOAD_FILES", 2)
#: All uploads kept at once; past it, new uploads are refused until unused ones are removed.
UPLOAD_DISK_BYTES = _env_int("MELWAV_UPLOAD_DISK_BYTES", 2 * 2**30)
#: An upload no request has named for this long is removed (never named at all: the shorter time).
UPLOAD_UNUSED_S = env_positive("MELWAV_UPLOAD_UNUSED_S", 600.0)
UPLOAD_IDLE_S = env_positive("MELWAV_UPLOAD_IDLE_S", 3600.0)
#: Heavy jobs one session may have waiting in the queue (the running ones are not counted).
SESSION_MAX_WAITING = _env_int("MELWAV_SESSION_QUEUE", 2)
#: The one concurrency group of every heavy event, and the handlers that are heavy.
HEAVY_ID = "render"
HEAVY_LIMIT = 2
HEAVY_FNS = ("render", "render_page", "solo", "variety", "load_params", "import_recipe", "import_recipe_handler",
             "make_demo")
#: Handlers whose newer job replaces the same session's waiting ones (the page's render: only the latest counts).
SUPERSEDED_FNS = ("render_page",)
#: Longest message shown to a visitor, and longest log line (a traceback keeps its first and last lines).
MAX_MESSAGE_CHARS = 600
MAX_LOG_CHARS = 2000
#: Longest text a Textbox takes when the page sets no ``max_length`` of its own, and a gr.Code input (the recipe
#: box; gr.Code has no ``max_length``): the recipe reader's own cap, so no box refuses a recipe it would read.
MAX_TEXTBOX_CHARS = 1_000_000
MAX_CODE_CHARS = 1_000_000


def cut(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` (made a str) of at most ``limit`` characters: a longer one keeps its start and says how long it was."""
    text = text if isinstance(text, str) else str(text)
    if len(text) <= limit:
        return text
    return f"{text[:max(0, limit - 40)]}... ({len(text):,} characters in all)"


# ------------------------------------------------------------------------------------------ uploads


class Uploads:
    """The uploads this process holds: when each came, when a request last named it, and its size.

    An upload is used when a request names its path (every render sends the page's clip). One never named is
    removed after :data:`UPLOAD_UNUSED_S`, one no longer named after :data:`UPLOAD_IDLE_S` (the page's own clip
    stays while its visitor works with it). Gradio alone keeps every upload for its ``delete_cache`` age.

    Gradio names an upload by a hash of its bytes, the same name its cached copy of a page file (the default
    clip, an example) has: an upload of a bundled clip lands on the page's own file. Those are
    :meth:`protect`-ed and never tracked, or removing the upload would break the example for every visitor.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._files: dict[str, list] = {}  # path -> [size, added, last named]
        self.blocks = None
        self.unused_s = UPLOAD_UNUSED_S
        self.idle_s = UPLOAD_IDLE_S
        self.disk_bytes = UPLOAD_DISK_BYTES
        self._sweeper = None
        self._page: set[str] = set()

    def protect(self, paths) -> None:
        """Files the page itself holds (in the cache before any visitor came): never tracked, never removed."""
        with self._lock:
            self._page.update(os.path.abspath(p) for p in paths)

    def add(self, paths) -> None:
        now = time.monotonic()
        with self._lock:
            for path in paths:
                if os.path.abspath(path) in self._page:
                    continue
                try:
                    size = os.stat(path).st_size
                except OSError:
                    continue
                self._files[str(path)] = [size, now, None]
        self._start()

    def named(self, paths) -> None:
        now = time.monotonic()
        with self._lock:
            for path in paths:
                entry = self._files.get(path)
                if entry is not None:
                    entry[2] = now

    def __contains__(self, path) -> bool:
        with self._lock:
            return str(path) in self._files

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(entry[0] for entry in self._files.values())

    def sweep(self, now: float | None = None) -> int:
        """Remove the uploads nobody uses; returns how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            gone = [path for path, (_, added, named) in self._files.items()
                    if (named is None and now - added > self.unused_s)
                    or (named is not None and now - named > self.idle_s)]
            for path in gone:
                del self._files[path]
        for path in gone:
            try:
                os.unlink(path)
                os.rmdir(os.path.dirname(path))  # Gradio's folder per upload: empty now unless shared
            except OSError:
                pass
            upload_set = getattr(self.blocks, "upload_file_set", None)
            if upload_set is not None:
                upload_set.discard(path)
        return len(gone)

    def _start(self) -> None:
        if self._sweeper is not None:
            return

        def loop():
            while True:
                time.sleep(min(30.0, max(0.5, self.unused_s / 4)))
                self.sweep()

        self._sweeper = threading.Thread(target=loop, name="melwav-uploads", daemon=True)
        self._sweeper.start()


UPLOADS = Uploads()


def _paths_in(value, limit: int = 10_000) -> list[str]:
    """The ``"path"`` strings of FileData-like objects in a request's JSON (iterative: no recursion on depth)."""
    found, stack, seen = [], [value], 0
    while stack and seen < limit:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            path = item.get("path")
            if isinstance(path, str):
                found.append(path)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


# ----------------------------------------------------------------------------------------- the middleware


class _TooLarge(Exception):
    pass


def _too_large_for_gradio(message: str) -> Exception:
    """The exception Gradio's upload parser cleans up after (it removes the files it had begun to write)."""
    from starlette.formparsers import MultiPartException

    return MultiPartException(message)


class Guard:
    """ASGI middleware: bounds every request body before it is parsed, and notes uploads and their use."""

    def __init__(self, app, *, uploads: Uploads | None = None, max_body: int | None = None,
                 max_upload: int | None = None, max_files: int | None = None):
        self.app = app
        self.uploads = UPLOADS if uploads is None else uploads
        self.max_body = MAX_BODY_BYTES if max_body is None else max_body
        self.max_upload = MAX_UPLOAD_BYTES if max_upload is None else max_upload
        self.max_files = MAX_UPLOAD_FILES if max_files is None else max_files

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        upload = path.endswith("/upload") and scope.get("method") == "POST"
        limit = self.max_upload if upload else self.max_body
        try:
            length = int(headers["content-length"]) if "content-length" in headers else None
        except ValueError:
            return await _answer(send, 400, "a bad Content-Length")
        if length is not None and length > limit:
            log.warning("refused a %s-byte request to %s (at most %s)", f"{length:,}", cut(path, 80), f"{limit:,}")
            return await _answer(send, 413, f"This request is {length / 1e6:.1f} MB; the server takes at most "
                                            f"{limit / 1e6:.1f} MB in one request.")
        if upload:
            if length is None:
                return await _answer(send, 411, "An upload must say its length (Content-Length).")
            if self.uploads.total_bytes + length > self.uploads.disk_bytes:
                self.uploads.sweep()
                if self.uploads.total_bytes + length > self.uploads.disk_bytes:
                    log.warning("refused an upload: %s bytes of uploads held", f"{self.uploads.total_bytes:,}")
                    return await _answer(send, 507, "The server holds too many uploads right now; try again in a "
                                                    "few minutes.")
        if length is None and not upload and scope.get("method") in ("POST", "PUT", "PATCH"):
            # A streamed body (no length said): read it here, up to the limit, before the app sees any of it
            # (FastAPI turns an error while it reads a body into its own 400).
            receive = await _buffered(receive, limit)
            if receive is None:
                log.warning("cut a streamed request to %s past %s bytes", cut(path, 80), f"{limit:,}")
                return await _answer(send, 413, f"This request is larger than the {limit / 1e6:.1f} MB the server "
                                                "takes.")
        boundary = _boundary(headers.get("content-type", "")) if upload else None
        state = {"seen": 0, "parts": 0, "tail": b"", "body": [] if _names_files(path) else None, "started": False}
        max_files = self.max_files

        async def bounded_receive():
            message = await receive()
            if message.get("type") != "http.request":
                return message
            chunk = message.get("body", b"")
            state["seen"] += len(chunk)
            if state["seen"] > limit:
                if upload:
                    raise _too_large_for_gradio(f"The upload exceeded the maximum allowed size of {limit} bytes.")
                raise _TooLarge
            if boundary is not None:
                data = state["tail"] + chunk
                state["parts"] += data.count(boundary)
                state["tail"] = data[-len(boundary) + 1:] if len(boundary) > 1 else b""
                # n files: n + 1 delimiters (the closing one included)
                if state["parts"] > max_files + 1:
                    raise _too_large_for_gradio(f"Too many files in one upload (at most {max_files}): the maximum "
                                                "allowed size of one request.")
            if state["body"] is not None:
                state["body"].append(chunk)
            return message

        response = {"status": None, "body": []}

        async def watched_send(message):
            if message.get("type") == "http.response.start":
                state["started"] = True
                response["status"] = message.get("status")
            elif upload and message.get("type") == "http.response.body" and response["status"] == 200:
                response["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, bounded_receive, watched_send)
        except _TooLarge:
            log.warning("cut a request to %s past %s bytes", cut(path, 80), f"{limit:,}")
            if not state["started"]:
                await _answer(send, 413, f"This request is larger than the {limit / 1e6:.1f} MB the server takes.")
            return
        if upload and response["status"] == 200:
            try:
                self.uploads.add(p for p in json.loads(b"".join(response["body"])) if isinstance(p, str))
            except (ValueError, TypeError):
                pass
        if state["body"]:
            try:
                self.uploads.named(_paths_in(json.loads(b"".join(state["body"]))))
            except (ValueError, RecursionError, TypeError):
                pass


async def _buffered(receive, limit: int):
    """A ``receive`` that replays a whole body read now, or None once the body passes ``limit`` bytes."""
    chunks, total = [], 0
    while True:
        message = await receive()
        if message.get("type") != "http.request":
            return None
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replayed():
        return replay.pop() if replay else await receive()

    return replayed


def _names_files(path: str) -> bool:
    """Requests whose JSON body may name an upload: queue joins and the REST-style calls."""
    return path.endswith("/queue/join") or "/call/" in path or "/run/" in path or path.endswith("/api/predict")


def _boundary(content_type: str) -> bytes | None:
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    return ("--" + m.group(1)).encode("latin-1") if m else None


async def _answer(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _AppKwargs(dict):
    """``launch(app_kwargs=...)``: Gradio stores its lifespan handler in the dict it is given and wraps whatever
    it finds there on the next launch; this one never hands back a previous launch's handler."""

    def get(self, key, default=None):
        return default if key == "lifespan" else super().get(key, default)


def app_kwargs() -> dict:
    """For ``Blocks.launch(app_kwargs=...)``: FastAPI's ``middleware`` with :class:`Guard`, outermost of the app's
    own (Gradio adds its CORS and compression middleware around it)."""
    from starlette.middleware import Middleware

    return _AppKwargs(middleware=[Middleware(Guard)])


# --------------------------------------------------------------------------------------------- the queue


@dataclasses.dataclass
class QueueShare:
    heavy_id: str = HEAVY_ID
    max_waiting: int = SESSION_MAX_WAITING
    superseded: tuple = SUPERSEDED_FNS


def _fn_name(block_fn) -> str:
    return getattr(getattr(block_fn, "fn", None), "__name__", "")


def install(demo: gr.Blocks, *, heavy=HEAVY_FNS, share: QueueShare | None = None) -> gr.Blocks:
    """Give every heavy event of ``demo`` one concurrency group, bound each session's waiting heavy jobs, bound
    its text inputs, and cut Gradio's messages and log lines. Returns ``demo``."""
    for block_fn in getattr(demo, "fns", {}).values():
        if _fn_name(block_fn) in heavy:
            block_fn.concurrency_id = HEAVY_ID
            block_fn.concurrency_limit = HEAVY_LIMIT
    for block in getattr(demo, "blocks", {}).values():
        if isinstance(block, gr.Textbox) and getattr(block, "max_length", None) is None:
            block.max_length = MAX_TEXTBOX_CHARS
    demo._melwav_share = share or QueueShare()
    UPLOADS.blocks = demo
    _patch_gradio()
    return demo


def _patch_gradio() -> None:
    """Once per process: the queue's per-session bound, short messages, bounded texts and log lines."""
    if _PATCHED:
        return
    _PATCHED.append(True)
    from gradio import queueing

    queueing.Queue.push = _bounded_push(queueing.Queue.push)
    _patch_messages()
    cut_log_records()
    for module in ("gradio.queueing", "gradio.routes", "gradio.utils", "gradio.route_utils"):
        mod = sys.modules.get(module)
        if mod is not None and isinstance(getattr(mod, "traceback", None), types.ModuleType):
            mod.traceback = _CutTraceback()


_PATCHED: list = []


def _bounded_push(push):
    @functools.wraps(push)
    async def bounded(self, body, request, username):
        share = getattr(getattr(self, "blocks", None), "_melwav_share", None)
        if share is None or getattr(body, "fn_index", None) is None or not getattr(body, "session_hash", None):
            return await push(self, body, request, username)
        try:
            from gradio import route_utils

            block_fn = route_utils.get_fn(self.blocks, None, body)
            event_queue = self.event_queue_per_concurrency_id.get(block_fn.concurrency_id)
        except Exception:  # noqa: BLE001 - let Gradio answer what it cannot find
            return await push(self, body, request, username)
        if block_fn.concurrency_id != share.heavy_id or event_queue is None:
            return await push(self, body, request, username)
        name = _fn_name(block_fn)
        async with self.delete_lock:
            waiting = [e for e in event_queue.queue if e.session_hash == body.session_hash]
            dropped = [e for e in waiting if name in share.superseded and _fn_name(e.fn) == name]
            for event in dropped:
                event_queue.queue.remove(event)
                self.event_ids_to_events.pop(event._id, None)
        for event in dropped:
            _complete_unchanged(self, event)
        if len(waiting) - len(dropped) >= share.max_waiting:
            log.warning("refused a heavy job: its session already has %d waiting", len(waiting) - len(dropped))
            return (False, f"This page already has {len(waiting) - len(dropped)} requests waiting for the server; "
                           "wait for one to finish, then try again.", "queue_full")
        return await push(self, body, request, username)

    return bounded


def _complete_unchanged(queue, event) -> None:
    """End a dropped (superseded) page job as a success that changes nothing: no error on the page."""
    from gradio.server_messages import ProcessCompletedMessage

    n = len(getattr(event.fn, "outputs", []) or [])
    output = {"data": [{"__type__": "update"} for _ in range(n)], "is_generating": False, "duration": 0.0,
              "average_duration": None, "render_config": None, "changed_state_ids": []}
    try:
        queue.send_message(event, ProcessCompletedMessage(output=output, success=True))
    except Exception:  # noqa: BLE001 - its page has gone: nothing to tell
        log.debug("could not tell a superseded job's page")


# ------------------------------------------------------------------------------------------- messages


def _patch_messages() -> None:
    """gr.Error messages cut to :data:`MAX_MESSAGE_CHARS`; Gradio's own refusals logged as one line, without a
    traceback; dropdown and radio choices refused without echoing the value; text lengths checked."""
    from gradio import exceptions

    original_init = exceptions.Error.__init__

    @functools.wraps(original_init)
    def short_error(self, message="Error raised.", duration=10, visible=True, title="Error", print_exception=True):
        message = cut(message)
        if print_exception:  # Gradio's own checks of a request: a refusal, not a fault of the server
            log.debug("refused a request: %s", message)
        original_init(self, message, duration, visible, cut(title, 80), False)

    exceptions.Error.__init__ = short_error

    for cls in (gr.Dropdown, gr.Radio):
        cls.preprocess = _choices_first(cls.preprocess)
    gr.Textbox.preprocess = _length_first(gr.Textbox.preprocess, lambda c: getattr(c, "max_length", None))
    gr.Code.preprocess = _length_first(gr.Code.preprocess, lambda c: MAX_CODE_CHARS)


def _short_value(value) -> str:
    if isinstance(value, (bool, int, float)) or value is None:
        return cut(repr(value), 40)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a text of {len(value):,} characters"
    return f"a {type(value).__name__}"


def _choices_first(preprocess):
    @functools.wraps(preprocess)
    def checked(self, payload):
        if payload is not None and not getattr(self, "allow_custom_value", False):
            values = [value for _, value in (self.choices or [])]
            given = payload if isinstance(payload, list) else [payload]
            for value in given:
                try:
                    known = value in values
                except TypeError:
                    known = False
                if not known:
                    shown = ", ".join(cut(repr(v), 30) for v in values[:12])
                    raise gr.Error(f"{_short_value(value)} is not one of the choices of "
                                   f"{cut(self.label or 'this input', 60)} ({shown})", print_exception=False)
        return preprocess(self, payload)

    return checked


def _length_first(preprocess, limit_of):
    @functools.wraps(preprocess)
    def checked(self, payload):
        limit = limit_of(self)
        if isinstance(payload, str) and limit is not None and len(payload) > limit:
            raise gr.Error(f"{cut(self.label or 'this text', 60)} takes at most {limit:,} characters; this one has "
                           f"{len(payload):,}", print_exception=False)
        return preprocess(self, payload)

    return checked


# ---------------------------------------------------------------------------------------------- logging


def _cut_arg(value):
    if isinstance(value, str) and len(value) > MAX_LOG_CHARS:
        return cut(value, MAX_LOG_CHARS)
    if isinstance(value, (bytes, bytearray)) and len(value) > MAX_LOG_CHARS:
        return f"{bytes(value[:200])!r}... ({len(value):,} bytes in all)"
    if isinstance(value, (int, float, type(None))):
        return value
    text = repr(value) if not isinstance(value, BaseException) else str(value)
    return cut(text, MAX_LOG_CHARS) if len(text) > MAX_LOG_CHARS else value


def _cut_traceback(text: str) -> str:
    """A traceback with each line cut, and at most 60 lines (its first 20 and last 40)."""
    lines = [cut(line, MAX_LOG_CHARS) for line in text.splitlines()]
    if len(lines) > 60:
        lines = lines[:20] + [f"... ({len(lines) - 60} lines left out)"] + lines[-40:]
    return "\n".join(lines)


def cut_log_records() -> None:
    """Every log record of the process (the app's, Gradio's, uvicorn's) with its message, arguments and traceback
    cut to :data:`MAX_LOG_CHARS` a line, whatever handler prints it: a record factory, so no logger is missed."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_melwav_cut", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            if isinstance(record.msg, str) and len(record.msg) > MAX_LOG_CHARS:
                record.msg = cut(record.msg, MAX_LOG_CHARS)
            if isinstance(record.args, tuple):
                record.args = tuple(_cut_arg(a) for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: _cut_arg(v) for k, v in record.args.items()}
            if record.exc_info and record.exc_info[0] is not None:
                import traceback

                record.exc_text = _cut_traceback("".join(traceback.format_exception(*record.exc_info)).rstrip())
        except Exception:  # noqa: BLE001 - a log record is never worth a failure
            pass
        return record

    factory._melwav_cut = True
    logging.setLogRecordFactory(factory)


class _CutTraceback(types.ModuleType):
    """Stands for :mod:`traceback` in Gradio's modules: ``print_exc`` prints a cut traceback (for real faults:
    Gradio's own refusals print none, see :func:`_patch_messages`)."""

    def __init__(self):
        super().__init__("traceback")
        import traceback

        self._real = traceback

    def __getattr__(self, name):
        return getattr(self._real, name)

    def print_exc(self, limit=None, file=None, chain=True):
        text = self._real.format_exc(limit=limit, chain=chain)
        print(_cut_traceback(text.rstrip()), file=file or sys.stderr)


# ---------------------------------------------------------------------------------------- the page's analysis


#: The analysis settings the page offers (its four dropdowns); a params file for others is replayed on the CLI.
#: The analyses the page offers (its Analysis tab's dropdowns, from the table of controls), by MelSettings field.
PAGE_ANALYSIS = {field: BY_KEY[key].choices for field, key in
                 (("sr", "sr"), ("n_fft", "n_fft"), ("hop_length", "hop"), ("n_mels", "n_mels"))}


def check_page_settings(settings) -> None:
    """Refuse (RecordError, one line) a params file whose analysis the page cannot show: another sample rate, FFT
    size, hop or band count than its dropdowns offer, or band edges or a window of its own."""
    from melwav.errors import RecordError
    from melwav.features import MelSettings

    default = MelSettings()
    for key, choices in PAGE_ANALYSIS.items():
        value = getattr(settings, key)
        if value not in choices:
            raise RecordError(f"this params file was made with {key} {value}; the lab offers "
                              f"{', '.join(map(str, choices))}. Replay it with the command line: "
                              "python -m melwav CLIP -o out.wav --params FILE")
    for field in dataclasses.fields(settings):
        if field.name not in PAGE_ANALYSIS and getattr(settings, field.name) != getattr(default, field.name):
            raise RecordError(f"this params file was made with {field.name} {cut(repr(getattr(settings, field.name)), 40)}"
                              f" (the lab uses {getattr(default, field.name)!r}). Replay it with the command line: "
                              "python -m melwav CLIP -o out.wav --params FILE")
