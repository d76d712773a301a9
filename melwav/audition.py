"""Audition a recipe over many clips: ``python -m melwav audition INPUTS... -o DIR``.

Each clip is rendered by :func:`audition_clip`, a plain top-level function of picklable arguments (so a
process pool here, or a cluster engine elsewhere, can map it). It writes its players' WAVs, figures and
params into ``DIR/clips/<key>/``, where ``key`` (:func:`clip_key`) is a digest of the source (path, size,
modification time, segment, channel), the analysis, the recipe, the seed, the draws and the rebuild: the
folder is built under a temporary name and renamed into place when complete, so a rerun reuses every
finished clip and an interrupted one leaves no half-written file. :func:`audition` maps it over the
inputs (:mod:`melwav.manifests`) with a bounded pool of worker processes, and :mod:`melwav.report` writes
``DIR/index.html`` (pages of clips that play from disk) and ``DIR/summary.json``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os
import pathlib
import shutil
import signal
import sys
import tempfile
import time

import numpy as np

from . import __version__, limits, options, pipeline, report
from .audio import DEFAULT_MAX_DURATION_S, atomic_write, common_gain, load_audio, write_wav
from .errors import DiskFullError, MelwavError, ParameterError, check_int, show_value
from .explain import describe, summary_line
from .features import MelSettings
from .manifests import ClipSource, iter_sources
from .plot import comparison_base, compose_comparison, write_rgba_png
from .reconstruction import DEFAULT_METHOD, METHODS
from .report import RESULT_NAME, RESULT_VERSION, read_result
from .specaugment import POLICIES, AugmentRecord, SpecAugmentConfig, fill_value

#: The players bring quiet clips up, all by the same gain, by at most this much (as the app's players do).
PLAYER_BOOST_DB = 30.0
MAX_DRAWS = 16
MAX_WORKERS = 64
#: Clips a worker process renders before it is replaced: what one clip leaves behind (allocator arenas,
#: caches) cannot pile up over a long run.
TASKS_PER_WORKER = 50
#: Whether the pool replaces its own workers (``max_tasks_per_child``, Python 3.11+); else :func:`audition`
#: replaces the whole pool after ``TASKS_PER_WORKER`` clips per worker.
POOL_REPLACES_WORKERS = sys.version_info >= (3, 11)
#: Unfinished clip folders (``.<key>.*.partial``) older than this are removed when a run starts.
STALE_PARTIAL_S = 3600.0


# ------------------------------------------------------------------------------------------------ one clip


def _stat(path: str) -> tuple[int | None, int | None]:
    try:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns
    except OSError:
        return None, None


def clip_key(source: ClipSource, *, settings: MelSettings, config: SpecAugmentConfig, seed: int, draws: int,
             method: str, n_iter: int | None, max_duration_s: float = DEFAULT_MAX_DURATION_S,
             trim: bool = False) -> str:
    """The name of ``source``'s result folder: a digest of everything its result depends on.

    The file's size and modification time are in it, so an edited file is rendered again.
    """
    size, mtime_ns = _stat(source.path)
    ident = {
        "v": RESULT_VERSION, "melwav": __version__, "path": os.path.abspath(source.path), "size": size,
        "mtime_ns": mtime_ns, "offset_s": source.offset_s, "duration_s": source.duration_s,
        "channel": source.channel, "settings": settings.to_dict(), "config": config.to_dict(), "seed": seed,
        "draws": draws, "method": method, "n_iter": n_iter, "max_duration_s": float(max_duration_s), "trim": trim,
    }
    return hashlib.sha1(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:20]


def draw_seeds(source: ClipSource, *, seed: int, draws: int) -> list[int]:
    """The seeds of a clip's draws: from ``seed`` and the clip's identity, so clips of one length do not all
    get the same masks, and a rerun gets the same ones. Each is a plain render seed (``--seed``)."""
    ident = json.dumps([os.path.abspath(source.path), source.offset_s, source.duration_s, source.channel])
    words = np.frombuffer(hashlib.sha1(ident.encode()).digest()[:8], dtype="<u4")
    state = np.random.SeedSequence([seed, *map(int, words)]).generate_state(draws, dtype=np.uint32)
    return [int(s) for s in state]


def masked_share(record: AugmentRecord) -> dict[str, float]:
    """The share of the spectrogram a draw's masks cover: of its frames, of its bands, and of its cells.

    Counted from the masks themselves (overlaps once); a framework's own operations (WeNet's ``spec_sub``,
    ``spec_trim``) are described with the draw but not counted here.
    """
    frames = np.zeros(record.n_frames, dtype=bool)
    for m in record.time_masks:
        frames[m.start : m.start + m.width] = True
    bands = np.zeros(record.n_mels, dtype=bool)
    for m in record.freq_masks:
        bands[m.start : m.start + m.width] = True
    t, f = float(frames.mean()) if frames.size else 0.0, float(bands.mean()) if bands.size else 0.0
    return {"time": t, "freq": f, "cells": 1.0 - (1.0 - t) * (1.0 - f)}


def plain_words(markdown: str) -> list[str]:
    """:func:`melwav.explain.describe`'s Markdown as plain lines (list marks kept, emphasis and escapes removed).

    The result is text, not HTML: the report escapes it like any other text.
    """
    import html
    import re

    out = []
    for line in markdown.splitlines():
        line = line.replace("**", "")
        line = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~>])", r"\1", line)
        out.append(html.unescape(line))
    return out


def _failure(source: ClipSource, error: str, key: str | None = None) -> dict:
    return {"source": source.name, "path": source.path, "origin": source.origin, "offset_s": source.offset_s,
            "segment_s": source.duration_s, "channel": source.channel, "ok": False, "error": error,
            "duration_s": None, "draws": [], "key": key, "reused": False}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text[:300]


def audition_clip(source: ClipSource, *, settings: MelSettings, config: SpecAugmentConfig, seed: int, draws: int,
                  method: str, n_iter: int | None, out_dir, max_duration_s: float = DEFAULT_MAX_DURATION_S,
                  trim: bool = False, budget: float | None = limits.CLI_BUDGET,
                  policy_name: str | None = None) -> dict:
    """Render one clip ``draws`` times and write its folder under ``out_dir/clips``; returns its result.

    A plain function of picklable arguments, safe to map in parallel (each clip has its own folder, built
    under a temporary name and renamed into place). When the folder is already there (same
    :func:`clip_key`) it is read back, not rendered (``"reused": True``).

    Returns
    -------
    dict
        ``source``, ``ok``, ``error`` (one line, or None), ``duration_s``, ``draws`` (per draw: ``seed``,
        ``summary``, ``words``, ``masked_share``, ``sc_db``, ``wav``, ``figure``, ``figure_dark``,
        ``params``), the players' ``original_wav`` and ``original_rebuilt_wav``, ``notes``, ``key``;
        paths are relative to ``out_dir``. A clip that cannot be rendered (unreadable, missing, too long,
        silent, over the work limit) gives ``ok`` False and its reason; a full disk raises.
    """
    out_dir = pathlib.Path(out_dir)
    clips = out_dir / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    key = clip_key(source, settings=settings, config=config, seed=seed, draws=draws, method=method, n_iter=n_iter,
                   max_duration_s=max_duration_s, trim=trim)
    done = read_result(out_dir, key)
    if done is not None:
        return done
    if source.error is not None:
        return _failure(source, source.error)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".partial", dir=clips))
    try:
        result = _render_clip(source, tmp, key, settings=settings, config=config, seed=seed, draws=draws,
                              method=method, n_iter=n_iter, max_duration_s=max_duration_s, trim=trim,
                              budget=budget, policy_name=policy_name)
        try:
            os.replace(tmp, clips / key)
        except OSError:
            if read_result(out_dir, key) is None:  # not another worker's finished copy of the same clip
                raise
        return result
    except DiskFullError:
        raise
    except MelwavError as exc:
        return _failure(source, _one_line(exc), key)
    except MemoryError:
        return _failure(source, "out of memory while rendering this clip", key)
    except Exception as exc:  # noqa: BLE001 - one clip's unforeseen failure must not stop a corpus run
        if isinstance(exc, OSError) and _disk_full(exc):
            raise
        return _failure(source, f"{exc.__class__.__name__}: {_one_line(exc)}", key)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _release_caches()


def _disk_full(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _release_caches() -> None:
    """Each clip is visited once: drop its cached rebuilds (the pipeline keeps up to 320 MB of them) so a worker's
    memory stays about one clip's."""
    pipeline._ORIGINAL_REBUILDS.clear()
    pipeline._PARTIAL_REBUILDS.clear()


def _render_clip(source: ClipSource, folder: pathlib.Path, key: str, *, settings: MelSettings,
                 config: SpecAugmentConfig, seed: int, draws: int, method: str, n_iter: int | None,
                 max_duration_s: float, trim: bool, budget: float | None, policy_name: str | None) -> dict:
    started = time.perf_counter()
    if source.offset_s == 0 and source.duration_s is None:
        # Over the work limit whatever the clip holds: refused from the header, before decoding.
        pipeline.check_file_render(source.path, settings=settings, max_duration_s=max_duration_s, method=method,
                                   n_iter=n_iter, n_renders=draws, budget=budget)
    audio = load_audio(source.path, sr=settings.sr, max_duration_s=max_duration_s, trim=trim,
                       offset_s=source.offset_s, duration_s=source.duration_s, channel=source.channel)
    analysis = pipeline.analyse(audio.y, settings=settings, name=audio.name, notes=audio.notes)
    del audio
    pipeline.check_render(analysis, method=method, n_iter=n_iter, n_renders=draws, budget=budget)
    original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter)
    seeds = draw_seeds(source, seed=seed, draws=draws)
    renders = [pipeline.render(analysis, config, seed=s, method=method, n_iter=n_iter) for s in seeds]
    gain = np.float32(common_gain(analysis.y, original.y, *(r.y for r in renders), max_boost_db=PLAYER_BOOST_DB))
    sr = settings.sr
    rel = pathlib.PurePosixPath("clips") / key
    write_wav(folder / "original.wav", analysis.y * gain, sr=sr)
    write_wav(folder / "original_rebuilt.wav", original.y * gain, sr=sr)
    bases = {theme: comparison_base(analysis.L, settings=settings, theme=theme) for theme in ("light", "dark")}
    pol = POLICIES.get(policy_name) if policy_name else None
    out_draws = []
    for k, rendered in enumerate(renders, start=1):
        write_wav(folder / f"draw{k}.wav", rendered.y * gain, sr=sr)
        for theme, base in bases.items():
            suffix = "" if theme == "light" else "_dark"
            write_rgba_png(folder / f"draw{k}{suffix}.png", compose_comparison(base, rendered.L_aug,
                                                                                record=rendered.record))
        pipeline.write_params(folder / f"draw{k}.json", pipeline.params_for(analysis, rendered, policy=policy_name))
        level = fill_value(analysis.L, rendered.record, ref=analysis.ref, settings=settings)
        out_draws.append({
            "seed": rendered.seed,
            "summary": summary_line(rendered.record, settings=settings),
            "words": plain_words(describe(rendered.record, settings=settings, fill_db=level, policy=pol)),
            "masked_share": masked_share(rendered.record),
            "sc_db": round(float(rendered.rebuilt.spectral_convergence_db), 2),
            "record": rendered.record.to_dict(),
            "wav": str(rel / f"draw{k}.wav"), "figure": str(rel / f"draw{k}.png"),
            "figure_dark": str(rel / f"draw{k}_dark.png"), "params": str(rel / f"draw{k}.json"),
        })
    result = {
        "version": RESULT_VERSION, "source": source.name, "path": source.path, "origin": source.origin,
        "offset_s": source.offset_s, "segment_s": source.duration_s, "channel": source.channel, "ok": True,
        "error": None, "duration_s": round(analysis.duration_s, 4), "n_frames": analysis.n_frames,
        "notes": list(source.notes) + list(analysis.notes), "original_wav": str(rel / "original.wav"),
        "original_rebuilt_wav": str(rel / "original_rebuilt.wav"),
        "original_sc_db": round(float(original.spectral_convergence_db), 2), "draws": out_draws, "key": key,
        "render_s": round(time.perf_counter() - started, 3),
    }
    text = json.dumps(result, indent=1)
    atomic_write(folder / RESULT_NAME, lambda f: f.write(text), mode="w")  # last: its presence means complete
    result["reused"] = False
    return result


# ------------------------------------------------------------------------------------------------ many clips


@dataclasses.dataclass(frozen=True)
class Job:
    """What :func:`audition_clip` needs besides the source: one recipe, analysis and rebuild for the run."""

    settings: MelSettings
    config: SpecAugmentConfig
    seed: int
    draws: int
    method: str
    n_iter: int | None
    out_dir: str
    max_duration_s: float = DEFAULT_MAX_DURATION_S
    trim: bool = False
    budget: float | None = limits.CLI_BUDGET
    policy_name: str | None = None

    def kwargs(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; the parent decides (it stops the workers and cleans up).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _executor(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` fresh processes, each replaced after ``TASKS_PER_WORKER`` clips (3.11+; on 3.10
    :func:`audition` replaces the whole pool as often).

    Workers are forked from a server process that has imported melwav once (``forkserver``, where the OS
    has it): a new worker then starts in milliseconds instead of the seconds an import takes, and is never
    a fork of this (threaded) process. Elsewhere they are spawned.
    """
    # The workers keep the BLAS thread count of this process: a different count changes the rebuilt audio's
    # last bits, and a clip must sound the same, bit for bit, from a worker, from --workers 1 and from a
    # replay of its params on the command line.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:
        context = multiprocessing.get_context("spawn")
    kwargs = {"max_tasks_per_child": TASKS_PER_WORKER} if POOL_REPLACES_WORKERS else {}
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                  initializer=_ignore_sigint, **kwargs)


def _stop(executor: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what has not started and end the running workers (their clip folders are
    temporary until complete, so nothing half-written stays under a final name)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())  # shutdown() forgets them
    for process in processes:
        if process.is_alive():
            process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def sweep_partials(out_dir, *, older_than_s: float = STALE_PARTIAL_S) -> int:
    """Remove clip folders an interrupted run left unfinished (older than ``older_than_s``); returns how many."""
    clips = pathlib.Path(out_dir) / "clips"
    removed = 0
    now = time.time()
    for child in clips.glob(".*.partial") if clips.is_dir() else ():
        try:
            if now - child.lstat().st_mtime > older_than_s:
                if child.is_symlink():
                    child.unlink()
                else:
                    shutil.rmtree(child, ignore_errors=True)
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def audition(sources, job: Job, *, workers: int = 1, limit: int | None = None, progress: bool = False):
    """Render ``sources`` (an iterable of :class:`ClipSource`) and yield ``(index, result)`` as they finish.

    Finished clips (same :func:`clip_key`) are read back in this process, not rendered. With ``workers``
    > 1 the clips are rendered by that many spawned worker processes, at most ``2 x workers`` clips in
    flight (so a corpus of any size is never queued whole). ``limit`` stops after that many clips.
    A worker that dies (e.g. killed for memory) fails the clips then in flight with that reason; the run
    goes on with a new pool. Ctrl-C stops the workers at once (their clip folders are still temporary).
    """
    from tqdm.auto import tqdm

    sweep_partials(job.out_dir)
    bar = tqdm(total=limit, unit="clip", disable=not progress, dynamic_ncols=True, file=sys.stderr)
    kwargs = job.kwargs()
    executor = None
    pending: dict = {}  # future -> (index, source, key)
    in_pool = 0  # clips given to the current pool

    def collect(wait_all: bool):
        """Yield finished clips: the first one to finish, or (``wait_all``) every one in flight."""
        nonlocal executor
        broken = False
        for future in concurrent.futures.as_completed(list(pending)):
            index, source, _key = pending.pop(future)
            try:
                result = future.result()
            except concurrent.futures.process.BrokenProcessPool:
                broken = True
                result = _failure(source, "the worker process stopped while this clip was in flight (out of memory?)")
            bar.update(1)
            yield index, result
            if not (wait_all or broken):
                return
        if broken:  # the pool is unusable: every clip in flight has been reported; start a new one
            _stop(executor)
            executor = None

    try:
        for index, source in enumerate(sources):
            if limit is not None and index >= limit:
                break
            key = clip_key(source, settings=job.settings, config=job.config, seed=job.seed, draws=job.draws,
                           method=job.method, n_iter=job.n_iter, max_duration_s=job.max_duration_s, trim=job.trim)
            done = read_result(job.out_dir, key)
            if done is not None or workers <= 1 or source.error is not None:
                result = done if done is not None else audition_clip(source, **kwargs)
                bar.update(1)
                yield index, result
                continue
            if executor is not None and not POOL_REPLACES_WORKERS and in_pool >= TASKS_PER_WORKER * workers:
                yield from collect(wait_all=True)  # 3.10: drain, then a fresh pool (max_tasks_per_child on 3.11+)
                if executor is not None:
                    executor.shutdown(wait=True)
                    executor = None
            if executor is None:
                executor, in_pool = _executor(workers), 0
            pending[executor.submit(audition_clip, source, **kwargs)] = (index, source, key)
            in_pool += 1
            while len(pending) >= 2 * workers:
                yield from collect(wait_all=False)
        yield from collect(wait_all=True)
    except BaseException:
        if executor is not None:
            _stop(executor)
            executor = None
            for _index, _source, key in pending.values():  # the stopped workers' unfinished folders
                for partial in (pathlib.Path(job.out_dir) / "clips").glob(f".{key}.*.partial"):
                    shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        bar.close()
        if executor is not None:
            executor.shutdown(wait=True)


# ------------------------------------------------------------------------------------------------ the command


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m melwav audition",
        description="Render a SpecAugment recipe over many clips and write a listening report that opens from "
        "disk (DIR/index.html) and DIR/summary.json. A rerun into the same DIR reuses the finished clips.",
        epilog="INPUTS: audio files, folders (searched recursively), Kaldi wav.scp, NeMo JSON-lines manifests "
        "(audio_filepath, offset, duration) and lhotse recordings or cuts manifests (.jsonl, .jsonl.gz). "
        "Relative paths in a manifest are relative to its folder. Piped commands and URLs are never run or "
        "fetched. A clip that cannot be rendered is listed with its reason; the exit status is 0 unless no "
        "clip rendered (or, with --strict, any clip failed).",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUTS", help="audio files, folders, wav.scp or manifests")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder of the report (created if needed)")
    run_ = p.add_argument_group("the run")
    run_.add_argument("--draws", type=int, default=2, metavar="N",
                      help=f"augmented draws per clip (default 2, at most {MAX_DRAWS})")
    run_.add_argument("--workers", type=int, default=1, metavar="N",
                      help="worker processes (default 1: render in this process)")
    run_.add_argument("--limit", type=int, default=None, metavar="N", help="stop after the first N clips")
    run_.add_argument("--strict", action="store_true", help="exit 1 when any clip failed")
    run_.add_argument("--per-page", type=int, default=50, metavar="N", help="clips per report page (default 50)")
    options.add_augmentation_options(p, params=False)
    options.add_recipe_options(p)
    options.add_analysis_options(p)
    options.add_reconstruction_options(p)
    return p


def recipe_summary(args, settings: MelSettings, config: SpecAugmentConfig, policy_name: str | None,
                   recipe=None) -> dict:
    """What the report says about the recipe: its name, settings, bounds in words and the run's options."""
    from .explain import describe_config

    if recipe is not None:
        name = f"{recipe.framework} recipe from {os.path.basename(args.config)}"
        notes = options.recipe_notes(recipe, config, settings)
    else:
        name = f"policy {policy_name}" if policy_name and policy_name != "none" else "custom settings"
        notes = []
    return {"name": name, "config": config.to_dict(), "bounds": describe_config(config, settings=settings),
            "analysis": settings.to_dict(), "seed": args.seed, "draws": args.draws,
            "method": args.method or DEFAULT_METHOD, "n_iter": args.n_iter, "notes": notes,
            "max_duration_s": args.max_duration, "trim": args.trim}


def run(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config and args.policy != "none":
        raise ParameterError("--config and --policy both set the settings; give one of them")
    for option, value in (("--framework", args.framework), ("--framework-hop-ms", args.framework_hop_ms),
                          ("--framework-n-mels", args.framework_n_mels)):
        if value is not None and not args.config:
            raise ParameterError(f"{option} describes a training recipe; use it with --config")
    draws = check_int("--draws", args.draws, low=1, high=MAX_DRAWS)
    workers = check_int("--workers", args.workers, low=1, high=MAX_WORKERS)
    limit = None if args.limit is None else check_int("--limit", args.limit, low=1)
    per_page = check_int("--per-page", args.per_page, low=1, high=10_000)
    out_dir = pathlib.Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"-o {args.output} is a file; give a folder for the report")
    recipe = options.read_recipe(args) if args.config else None
    settings = options.recipe_settings(args, recipe, parser)  # --framework-analysis: the recipe's own
    config, policy_name = options.config_from_args(args, settings, recipe)
    seed = pipeline.check_seed(args.seed)
    method = args.method or DEFAULT_METHOD
    if method not in METHODS:  # before any clip: else every clip would fail with the same reason
        raise ParameterError(f"--method must be one of {', '.join(METHODS)}, got {show_value(method)}")
    if args.n_iter is not None:
        check_int("--n-iter", args.n_iter, low=0, high=10_000)
    out_dir.mkdir(parents=True, exist_ok=True)
    job = Job(settings, config, seed, draws, method, args.n_iter, str(out_dir), max_duration_s=args.max_duration,
              trim=args.trim, budget=None if args.no_work_limit else limits.CLI_BUDGET, policy_name=policy_name)
    recipe_info = recipe_summary(args, settings, config, policy_name, recipe)
    results = audition(iter_sources(args.inputs, exclude=[out_dir]), job, workers=workers, limit=limit, progress=sys.stderr.isatty())
    outcome = report.write_report(out_dir, results, recipe=recipe_info, settings=settings, config=config,
                                  per_page=per_page)
    print(f"{outcome.n_ok} of {outcome.n_clips} clips rendered ({outcome.n_reused} reused from an earlier run), "
          f"{outcome.n_failed} failed | report: {out_dir / 'index.html'}", file=sys.stderr)
    if outcome.n_clips == 0:
        raise ParameterError("no clips found in the inputs")
    if outcome.n_ok == 0:
        return 1
    if args.strict and outcome.n_failed:
        return 1
    return 0
