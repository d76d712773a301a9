() => {
  // melwav's page script (loaded once with the page: demo.launch(js=...)).
  // 1. Names for the figure's unnamed button and image, for screen readers and keyboards.
  // 2. The A/B/C transport: the three versions play in step (Web Audio, one clock); 1/2/3 switches which one is
  //    heard at the same playhead; a cursor moves on both spectrograms; a span dragged on the figure (or typed)
  //    loops in whichever version is active. Its data: the versions' URLs and what they were made for, on
  //    #abc-box (TRANSPORT_FILES_JS stamps them there when a render's files come, just before the players get
  //    them), and the panels' place in the figure, in the hidden #abc-data (each render writes it with the
  //    picture: transport.transport_data_html).
  const label = () => document.querySelectorAll('#spectrograms button:not([aria-label])').forEach(b => {
    b.setAttribute('aria-label', 'Log-mel spectrograms, original and augmented (opens full screen)');
    b.querySelectorAll('img').forEach(i => i.setAttribute('alt', 'original and augmented log-mel spectrograms'));
  });
  // The keyboard's path through the first screen: the figure is one stop (its image opens it full screen; its
  // download is in the Downloads tab too), each slider one (its range: the number box beside it says the same),
  // so the first slider is 3 Tab presses away and Play 8. "What was drawn" scrolls, so it takes focus.
  // Those taken out of the Tab order stay reachable from the keyboard (data-roving says how): the figure's
  // buttons with the arrow keys from its image (a toolbar), a slider's number box with Enter from its range
  // (Escape goes back).
  const keyboard = () => {
    document.querySelectorAll('#spectrograms .icon-button-wrapper button:not([tabindex]), '
                              + '#spectrograms .icon-button-wrapper a:not([tabindex])').forEach(e => {
      e.setAttribute('tabindex', '-1'); e.dataset.roving = 'figure';
    });
    const fig = document.getElementById('spectrograms');
    if (fig && !fig.hasAttribute('role')) { fig.setAttribute('role', 'toolbar'); fig.setAttribute('aria-label', 'Figure'); }
    document.querySelectorAll('#controls input[type=number]:not([tabindex])').forEach(e => {
      e.setAttribute('tabindex', '-1'); e.dataset.roving = 'slider';
    });
    const drawn = document.getElementById('drawn');
    if (drawn && !drawn.hasAttribute('tabindex')) {
      drawn.setAttribute('tabindex', '0'); drawn.setAttribute('role', 'region'); drawn.setAttribute('aria-label', 'What was drawn');
    }
    // A name that starts with the words on the widget (axe-core's label-content-name-mismatch).
    document.querySelectorAll('button[aria-label], .upload-container[aria-label]').forEach(e => {
      const text = (e.innerText || '').replace(/\s+/g, ' ').trim();
      const name = e.getAttribute('aria-label');
      if (text && !name.toLowerCase().includes(text.toLowerCase())) e.setAttribute('aria-label', `${text}: ${name}`);
    });
  };
  // The preset radios as one group: one Tab stop, arrow keys move between presets (no list pops open).
  const group = () => document.querySelectorAll('#policy input[type=radio]:not([name=policy-preset])').forEach(r => {
    r.setAttribute('name', 'policy-preset');
  });
  const NAMES = ['1 original', '2 original rebuilt', '3 augmented rebuilt', '4 B'];
  const S = {ctx: null, gains: [], srcs: [], bufs: null, urls: '', loading: null, active: 2, playing: false,
             t0ctx: 0, t0: 0, pos: 0, dur: 0, loop: null, axes: [], cursors: [], shades: [], drag: null,
             dragged: false, gen: 0, clip: '', pending: '', early: '', hearing: null, soundAt: 0};
  window.melwav = window.melwav || {};
  window.melwav.abc = S;
  const box = () => document.getElementById('abc-box');
  const img = () => document.querySelector('#spectrograms img');
  // A move's figure before its render's (melwav_lab/preview.py): asked for outside Gradio's queue as soon as
  // the controls are packed, shown only if it comes before any newer figure (the render's stays the last word).
  // The pack step waits for it (EARLY_WAIT_MS at most) before the render joins Gradio's queue: the queue's
  // messages and the render's step, handled on the page's one thread, used to hold up the early figure and
  // audio by 10-50 ms. The render then finds both made and only confirms them.
  // The requests the sliders' own input events made (below), by what they asked (key), oldest first; and the
  // pack step's last ask: a step made again for the same values (Gradio makes one per input event, and two
  // read the newest value when a second move's event came first) takes its promise, refused or not (the server
  // gives one early picture per render: a second request in those few ms would be refused too).
  let early = 0, last = null;
  const pres = new Map(), MAX_PRES = 8;
  const EARLY_WAIT_MS = 1000;
  const pageTheme = () => (document.body.classList.contains('dark') ? 'dark' : 'light');
  const askKey = (live, pack, theme) => JSON.stringify([live, pack, theme]);
  window.melwav.early = pack => {
    const server = window.melwavServer, d = document.getElementById('abc-data'), im = img();
    const live = d && d.dataset.live;
    if (!server || !server.picture || !live || !im) return null;
    const theme = pageTheme(), key = askKey(live, pack, theme);
    if (reusable(key)) return last.wait;
    const ask = ++early, before = im.getAttribute('src');
    // A slider's input event asked for this very pack already (below): its answer, else a request now. A newer
    // move's input event may come before this step, so its request stays; the older ones are past.
    const pre = pres.get(key);
    if (pre) {
      S.preTaken = (S.preTaken || 0) + 1;
      for (const k of [...pres.keys()]) { pres.delete(k); if (k === key) break; }
    }
    const asked = pre || server.picture([live, pack, theme]);
    const shown = asked.then(r => {
      if (!r || typeof r.png !== 'string' || !r.png.startsWith('data:image/png;base64,') || ask !== early) return null;
      if (img() === im && im.getAttribute('src') === before) im.src = r.png;
      return typeof r.sound === 'string' && server.audio ? hear(server, live, r.sound) : null;
    }).catch(() => null);
    last = {key, wait: Promise.race([shown, new Promise(done => setTimeout(done, EARLY_WAIT_MS))])};
    return last.wait;
  };
  const reusable = key => last !== null && last.key === key;
  // A slider's own input event comes 5-15 ms before Gradio's pack step (its dispatch first gathers every
  // input's properties and runs the events added before it): the request for the pack that step will make
  // (the last pack with this slider's new value, Keep unticked for a main slider) goes out then. The pack
  // step takes its answer when its pack is the same (early, above), else asks anew; nothing is shown before.
  document.addEventListener('input', e => {
    const r = e.target, sliders = window.melwavSliders, server = window.melwavServer, packed = window.melwavPack;
    if (!r || r.type !== 'range' || !sliders || !server || !server.picture || !packed) return;
    const label = (r.getAttribute('aria-label') || '').replace(/^range slider for /, '');
    const at = Object.hasOwn(sliders, label) ? sliders[label] : null;
    const d = document.getElementById('abc-data'), live = d && d.dataset.live;
    if (!at || !live) return;
    let args;
    try { args = JSON.parse(packed); } catch (_) { return; }
    args[at[0]] = Number(r.value);
    if (at[1]) args[window.melwavKeepAt] = false;
    const pack = JSON.stringify(args), theme = pageTheme(), key = askKey(live, pack, theme);
    if (pres.has(key) || reusable(key)) return;
    if (pres.size >= MAX_PRES) pres.delete(pres.keys().next().value);
    pres.set(key, server.picture([live, pack, theme]).catch(() => null));
  }, true);
  // That picture's audio, straight to the transport while it plays (no download of its own): switched to
  // once rebuilt; when the render's files for the same sound (its id in their data) come first, they take it
  // from here (watch, below), and when they come after, they only give it its URL.
  const hear = (server, live, id) => {
    if (!S.playing || !S.bufs || S.bufs.length !== 3) return null;
    const gen = S.gen, urls = S.urls;
    const p = server.audio([live, id]).then(async r => {
      if (!r || typeof r.wav !== 'string') return null;
      // The browser's own base64 decoding (a loop over 470 kB of text took ~10 ms of the page's thread), in the
      // same task where it can (Uint8Array.fromBase64, ~1 ms): a data URL's fetch waited 10-45 ms for the thread.
      const buf = readWav(Uint8Array.fromBase64 ? Uint8Array.fromBase64(r.wav).buffer
        : await (await fetch('data:audio/wav;base64,' + r.wav)).arrayBuffer());
      return buf && S.bufs && Math.abs(buf.duration - S.bufs[2].duration) <= 0.05 ? buf : null;
    }).catch(() => null);
    S.hearing = {id, p};
    return p.then(buf => {
      if (!buf || gen !== S.gen || urls !== S.urls || !S.playing || !S.bufs || S.bufs.length !== 3) return;
      S.soundAt = performance.now();
      const at = positionAt(S.ctx.currentTime + LEAD_SWITCH);
      S.bufs = [S.bufs[0], S.bufs[1], buf];
      S.early = id;
      S.dur = Math.min(...S.bufs.map(b => b.duration));
      if (S.loop && S.loop[1] > S.dur) S.loop = null;
      S.switched = start(Math.min(at, S.dur), true);
      sync();
    });
  };
  const data = () => {
    const b = box(), fig = document.getElementById('abc-data');
    if (!b) return null;
    try {
      // Absolute URLs (Gradio's copies, the players' too): one key per file.
      const urls = JSON.parse(b.dataset.urls || '[]').map(u => (u ? new URL(u, document.baseURI).href : ''));
      S.b = bVoice(b, urls);
      if (S.b.url && urls.length === 3) urls.push(S.b.url);  // recipe B's voice, the fourth (below)
      // Which clip (with its analysis and reconstruction) the files are of: the context stamped with them, not the
      // original's URL, which a new draw changes too when its rebuild changes the players' common gain.
      const clip = parse(b.dataset.context, {}).clip || urls[0];
      return {urls, clip, sound: b.dataset.sound || '', axes: fig ? JSON.parse(fig.dataset.axes || '[]') : [],
              duration: (fig && parseFloat(fig.dataset.duration || '0')) || 0};
    } catch (e) { return null; }
  };
  // The playhead at context time `at` (now by default), wrapped into the loop.
  const positionAt = at => {
    if (!S.playing || !S.ctx) return S.pos;
    let t = S.t0 + ((at === undefined ? S.ctx.currentTime : at) - S.t0ctx);
    if (S.loop) {
      const [a, b] = S.loop;
      if (t >= b) t = a + ((t - a) % (b - a));
    }
    return Math.min(t, S.dur);
  };
  S.position = () => positionAt();
  const FADE = 0.03;  // s: a crossfade when new versions replace the ones playing (no gap, no click)
  // s: how far ahead sources are scheduled, so that all start on the same sample. A switch to new versions is
  // scheduled sooner (the old ones play on meanwhile; a render quantum late would only shift the fade).
  const LEAD = 0.02, LEAD_SWITCH = 0.006;
  const stopSources = (at, srcs = S.srcs) => {
    srcs.forEach(s => { try { s.onended = null; s.stop(at); } catch (e) { /* already stopped */ } });
    if (srcs === S.srcs) S.srcs = [];
  };
  const ensureCtx = () => {
    if (!S.ctx) S.ctx = new (window.AudioContext || window.webkitAudioContext)();
    if (S.ctx.state === 'suspended') S.ctx.resume();
  };
  // A WAV of 16-bit or float PCM (the players' files are melwav's 16-bit PCM) as an AudioBuffer at the file's own
  // rate, read here: decodeAudioData resamples to the context's rate first (tens of ms for 8 s, on a thread
  // of its own, before a slider's new audio could be heard); a source resamples as it plays. Anything else: null.
  const readWav = bytes => {
    const v = new DataView(bytes);
    const tag = o => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
    if (bytes.byteLength < 44 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
    let fmt = null, off = 12;
    while (off + 8 <= bytes.byteLength) {
      const id = tag(off), size = v.getUint32(off + 4, true), body = off + 8;
      if (id === 'fmt ' && size >= 16) {
        fmt = {code: v.getUint16(body, true), channels: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true),
               bits: v.getUint16(body + 14, true)};
        if (fmt.code === 0xFFFE && size >= 26) fmt.code = v.getUint16(body + 24, true);  // extensible: its subformat
      } else if (id === 'data' && fmt) {
        const width = fmt.bits / 8, kind = `${fmt.code}/${fmt.bits}`;
        if (!(kind === '1/16' || kind === '3/32') || !fmt.channels || fmt.rate < 3000 || fmt.rate > 768000) return null;
        const frames = Math.floor(Math.min(size, bytes.byteLength - body) / (width * fmt.channels));
        if (!frames) return null;
        const raw = bytes.slice(body, body + frames * width * fmt.channels);  // aligned for the typed view
        const pcm = width === 2 ? new Int16Array(raw) : new Float32Array(raw), k = width === 2 ? 1 / 32768 : 1;
        const buf = S.ctx.createBuffer(fmt.channels, frames, fmt.rate);
        for (let c = 0; c < fmt.channels; c++) {
          const out = buf.getChannelData(c);
          for (let i = 0, j = c; i < frames; i++, j += fmt.channels) out[i] = pcm[j] * k;
        }
        return buf;
      }
      off = body + size + (size % 2);
    }
    return null;
  };
  S.readWav = readWav;
  // Decoded versions by URL: a slider move changes the augmented version only, so only it is fetched and
  // decoded again (the new audio is heard that much sooner). The last six used are kept.
  const decoded = new Map();
  const decode = async urls => {
    const bufs = await Promise.all(urls.map(async u => {
      if (decoded.has(u)) { const buf = decoded.get(u); decoded.delete(u); decoded.set(u, buf); return buf; }
      const r = await fetch(new URL(u, document.baseURI));
      const bytes = await r.arrayBuffer();
      const buf = readWav(bytes) || await S.ctx.decodeAudioData(bytes);
      decoded.set(u, buf);
      return buf;
    }));
    while (decoded.size > 6) decoded.delete(decoded.keys().next().value);
    return bufs;
  };
  const take = (bufs, key) => {
    S.bufs = bufs; S.urls = key;
    S.dur = Math.min(...bufs.map(b => b.duration));
  };
  const load = async d => {
    const key = JSON.stringify(d.urls);
    if (S.bufs && S.urls === key) return true;
    if (!d.urls.length || d.urls.some(u => !u)) return false;
    ensureCtx();
    S.axes = d.axes;
    take(await decode(d.urls), key);
    return true;
  };
  // One voice at a time: a player's own play pauses the transport and the other players; the transport's play
  // and pause stop the players. (Each player's media element may sit in a shadow root, where its "play"
  // event does not reach the document: play() itself is watched.)
  const media = new Set();
  const hush = except => media.forEach(m => { if (m !== except && !m.paused) m.pause(); });
  const mediaPlay = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    media.add(this);
    hush(this);
    if (S.playing) S.pause();
    return mediaPlay.apply(this, args);
  };
  S.hush = () => hush(null);
  S.media = media;
  // Play the three versions from `at` (s); with `fade`, the versions playing now fade out as these fade in.
  const start = (at, fade) => {
    const now = S.ctx.currentTime, when = now + (fade ? LEAD_SWITCH : LEAD);
    const old = {srcs: S.srcs, gains: S.gains};
    S.srcs = [];
    at = Math.max(0, Math.min(at, S.dur - 0.01));
    if (S.loop && (at < S.loop[0] || at >= S.loop[1])) at = S.loop[0];
    S.gains = S.bufs.map(() => { const g = S.ctx.createGain(); g.connect(S.ctx.destination); return g; });
    S.srcs = S.bufs.map((buf, i) => {
      const src = S.ctx.createBufferSource();
      src.buffer = buf;
      src.connect(S.gains[i]);
      if (S.loop) { src.loop = true; src.loopStart = S.loop[0]; src.loopEnd = S.loop[1]; }
      return src;
    });
    S.gains.forEach((g, i) => {
      const on = i === heard() ? 1 : 0;
      if (fade) { g.gain.setValueAtTime(0, now); g.gain.setValueAtTime(0, when); g.gain.linearRampToValueAtTime(on, when + FADE); }
      else g.gain.setValueAtTime(on, now);
    });
    if (fade) {
      old.gains.forEach(g => { g.gain.cancelScheduledValues(now); g.gain.setValueAtTime(g.gain.value, now);
                               g.gain.setValueAtTime(g.gain.value, when); g.gain.linearRampToValueAtTime(0, when + FADE); });
      stopSources(when + FADE + 0.01, old.srcs);
    } else stopSources(undefined, old.srcs);
    S.srcs.forEach(src => src.start(when, at));
    S.srcs[0].onended = () => { if (S.playing && !S.loop) { S.playing = false; S.pos = 0; sync(); } };
    S.t0ctx = when; S.t0 = at; S.playing = true;
    requestAnimationFrame(tick);
    return performance.now() + 1000 * (when - S.ctx.currentTime);  // when it is heard (page clock)
  };
  S.play = async () => {
    const d = data();
    if (!d) return;
    ensureCtx();
    S.hush();
    if (!(await load(d))) return;
    start(S.pos);
    sync();
  };
  S.pause = () => { S.pos = S.position(); S.playing = false; stopSources(); S.hush(); sync(); };
  S.select = i => {
    if (i === 3 && !(S.b && S.b.url)) return;  // no B in the transport (none heard yet, or out of date)
    S.active = i;
    if (S.ctx) S.gains.forEach((g, k) => g.gain.setTargetAtTime(k === heard() ? 1 : 0, S.ctx.currentTime, 0.008));
    sync();
  };
  // The whole clip again, from the same playhead (it carries on where the loop had it).
  S.whole = () => {
    const t = S.position();
    S.loop = null;
    if (S.playing) start(t); else S.pos = t;
    sync();
  };
  S.setLoop = (a, b) => {
    a = Math.max(0, +a); b = +b;
    if (!(b - a >= 0.05)) { S.whole(); return; }
    S.loop = [a, S.dur ? Math.min(b, S.dur) : b];
    const bx = box();
    if (bx && S.loop) {
      bx.querySelector('[data-abc=from]').value = S.loop[0].toFixed(2);
      bx.querySelector('[data-abc=to]').value = S.loop[1].toFixed(2);
    }
    if (S.playing) start(S.loop ? S.loop[0] : S.position()); else if (S.loop) S.pos = S.loop[0];
    sync();
  };
  // Where the panels are on the screen: the image is drawn "contain" in its element. Read from the layout at
  // most every GEOMETRY_MS for the moving cursor (a read just after Gradio has changed the page makes the
  // browser lay it out there and then: ~17 ms of a slider move when every frame read it), and at once for a
  // new figure, a resize, a scroll or a drag (`fresh`).
  const GEOMETRY_MS = 250;
  let geometry = null;
  const panels = fresh => {
    const im = img();
    if (!im || !im.naturalWidth || !S.axes.length) return [];
    const key = `${im.currentSrc}|${im.naturalWidth}x${im.naturalHeight}|${JSON.stringify(S.axes)}`;
    const now = performance.now();
    if (!fresh && geometry && geometry.im === im && geometry.key === key && now - geometry.at < GEOMETRY_MS) {
      return geometry.ps;
    }
    const r = im.getBoundingClientRect();
    const k = Math.min(r.width / im.naturalWidth, r.height / im.naturalHeight);
    const w = im.naturalWidth * k, h = im.naturalHeight * k;
    const x0 = r.left + (r.width - w) / 2 + window.scrollX, y0 = r.top + (r.height - h) / 2 + window.scrollY;
    const ps = S.axes.map(a => ({left: x0 + w * a.left, right: x0 + w * a.right, top: y0 + h * a.top,
                                 bottom: y0 + h * a.bottom, t0: a.t0, t1: a.t1}));
    geometry = {im, key, at: now, ps};
    return ps;
  };
  const moved = () => { geometry = null; };
  const xOf = (p, t) => p.left + (t - p.t0) / (p.t1 - p.t0) * (p.right - p.left);
  const tOf = (p, x) => p.t0 + (x - p.left) / (p.right - p.left) * (p.t1 - p.t0);
  const mark = (list, cls, n) => {
    while (list.length < n) {
      const el = document.createElement('div');
      el.className = cls;
      el.setAttribute('aria-hidden', 'true');
      document.body.appendChild(el);
      list.push(el);
    }
  };
  // A style property set only when it changes. The cursor moves by its transform alone (each frame while
  // playing): the browser composites it, with no layout of the page at every frame.
  const style = (el, k, v) => { if (el.style[k] !== v) el.style[k] = v; };
  const draw = fresh => {
    const ps = panels(fresh);
    mark(S.cursors, 'abc-cursor', ps.length); mark(S.shades, 'abc-region', ps.length);
    const t = S.position();
    const region = S.drag ? [Math.min(S.drag.a, S.drag.b), Math.max(S.drag.a, S.drag.b)] : S.loop;
    S.cursors.forEach((c, i) => {
      const p = ps[i];
      const show = p && (S.playing || S.pos > 0);
      style(c, 'display', show ? 'block' : 'none');
      if (!show) return;
      style(c, 'transform', `translate(${(xOf(p, t) - 1).toFixed(1)}px, ${p.top}px)`);
      style(c, 'height', `${p.bottom - p.top}px`);
    });
    S.shades.forEach((c, i) => {
      const p = ps[i];
      c.style.display = p && region ? 'block' : 'none';
      if (p && region) {
        const a = xOf(p, region[0]), b = xOf(p, region[1]);
        Object.assign(c.style, {left: `${a}px`, width: `${Math.max(b - a, 1)}px`, top: `${p.top}px`,
                                height: `${p.bottom - p.top}px`});
      }
    });
  };
  const fmt = t => `${t.toFixed(2)} s`;
  // A text changed in place (its text node's data), not replaced: the page's observer (below) watches for new
  // elements, and the playhead's text changes every frame.
  const text = (el, v) => {
    if (!el || el.textContent === v) return;
    const n = el.firstChild;
    if (n && n.nodeType === Node.TEXT_NODE && !n.nextSibling) n.data = v; else el.textContent = v;
  };
  // While playing, the playhead's text and the buttons change at most every NOW_TEXT_MS (`frame`: the call of an
  // animation frame; every other call, a move of the visitor's, updates them at once). The text repainted at
  // every frame, with the cursor laid out by its left edge, kept 41-42 % of a core busy in the browser while the
  // page played (chromium --disable-gpu, 1280x720); 21-26 % now, 8 % paused.
  const NOW_TEXT_MS = 250;
  let nowTextAt = -Infinity;
  const sync = (frame = false) => {
    const bx = box();
    const now = performance.now();
    if (bx && !(frame && now - nowTextAt < NOW_TEXT_MS)) {
      nowTextAt = now;
      bx.querySelectorAll('[data-abc="0"],[data-abc="1"],[data-abc="2"],[data-abc="3"]').forEach(b => {
        const v = String(+b.dataset.abc === S.active);
        if (b.getAttribute('aria-pressed') !== v) b.setAttribute('aria-pressed', v);
      });
      const play = bx.querySelector('[data-abc=play]');
      text(play, S.playing ? '❚❚ Pause' : '▶ Play');
      text(bx.querySelector('.abc-now'),
           `${S.active === 3 ? bName() : NAMES[S.active]} · ${fmt(S.position())}${S.loop ? ` · loop ${fmt(S.loop[0])} to ${fmt(S.loop[1])}` : ''}`);
    }
    syncB(bx);
    draw();
  };
  // Recipe B's voice (the Compare recipes tab, issue 23): a fourth version in step with the three, key 4, while it
  // was made for what the transport plays (the same clip, analysis, rebuild and seed, the same imported config
  // when B is that, and the B still chosen). Otherwise it is out of the transport and the tab says why. Its data
  // (#b-voice, written by the server after a comparison: URL, label, what it was made for) is compared with the
  // transport's (#abc-box's data-context); new players' files whose context has not come yet keep B out.
  const parse = (t, d) => { try { return JSON.parse(t || ''); } catch (e) { return d; } };
  const abs = u => (u ? new URL(u, document.baseURI).href : '');
  const heard = () => (S.active < S.gains.length || !S.gains.length ? S.active : 2);  // B not decoded yet: A
  const bName = () => `4 ${(S.b && S.b.label) || 'B'}`;
  S.b = {url: '', why: ''};
  S.chosenB = null;  // recipe B as chosen in the Compare tab (its dropdown's change event sets it)
  const bVoice = (box, urls) => {
    const el = document.getElementById('b-voice');
    if (!el || !el.dataset.bUrl) return {url: '', why: ''};
    const made = parse(el.dataset.bFor, {}), ctx = parse(box.dataset.context, {});
    const out = {url: '', label: el.dataset.bLabel || 'B', name: el.dataset.bName || 'B', why: ''};
    if (!ctx.clip || abs(ctx.orig) !== urls[0]) return {...out, why: 'waiting'};  // new files, context on its way
    const chosen = S.chosenB === null ? made.with : S.chosenB;
    if (made.clip !== ctx.clip) out.why = 'it was made for another clip, analysis or reconstruction';
    else if (made.seed !== ctx.seed) out.why = `it was drawn with seed ${made.seed}, the page's draw is seed ${ctx.seed} now`;
    else if ('recipe' in made && made.recipe !== ctx.recipe) out.why = 'another config has been imported since';
    else if (chosen !== made.with) out.why = `recipe B is ${chosen} now`;
    else out.url = abs(el.dataset.bUrl);
    return out;
  };
  // The fourth button in both boxes (shown while B is in the transport), and the tab's line about B.
  const syncB = bx => {
    const el = document.getElementById('b-voice'), b = S.b;
    [bx, el].forEach(root => root && root.querySelectorAll('[data-abc="3"]').forEach(btn => {
      if (btn.hidden !== !b.url) btn.hidden = !b.url;
      text(btn, `4 B: ${b.name || ''}`);
      if (b.label && btn.title !== `Hear ${b.label} (key 4)`) btn.title = `Hear ${b.label} (key 4)`;
    }));
    if (!el) return;
    el.querySelectorAll('[data-abc="0"],[data-abc="2"],[data-abc="3"]').forEach(btn => {
      const v = String(+btn.dataset.abc === S.active);
      if (btn.getAttribute('aria-pressed') !== v) btn.setAttribute('aria-pressed', v);
    });
    text(el.querySelector('[data-abc=play]'), S.playing ? '❚❚ Pause' : '▶ Play');
    if (!el.dataset.bUrl) return;
    text(el.querySelector('.b-status'), b.url
      ? `In the transport as voice 4: ${b.label}. Keys 3 and 4 switch between A and B at the same playhead.`
      : b.why === 'waiting' ? `${b.label}: waiting for the page's new files…`
        : `${b.label} is out of the transport: ${b.why}. Compare again to hear B.`);
  };
  S.refresh = () => watch();
  // Who waits for the transport to have switched to the files it fetches (TRANSPORT_FILES_JS hands the
  // players theirs then: laying out three players meanwhile would hold up the switch on the page's thread).
  let waiting = [];
  const settled = () => { const w = waiting; waiting = []; w.forEach(f => f()); };
  S.whenSettled = ms => new Promise(done => {
    if (!S.pending) return done();
    waiting.push(done);
    setTimeout(done, ms);
  });
  const tick = () => { sync(true); if (S.playing) requestAnimationFrame(tick); };
  S.sync = () => sync();
  // New files from the server. A new draw while playing: the versions playing go on until the new ones are
  // decoded, then a short crossfade at the same playhead. A new clip: stop, playhead and loop back to the start.
  const watch = () => {
    const d = data();
    if (!d) return;
    const key = JSON.stringify(d.urls);
    S.axes = d.axes;
    if (S.active === 3 && !S.b.url) S.select(2);  // B went out of date: A's voice, at the same playhead
    const clip = d.clip;
    const newClip = S.clip && clip && clip !== S.clip;  // another clip, analysis or reconstruction
    if (clip) S.clip = clip;
    if (newClip) {
      ++S.gen; S.pending = ''; settled();
      stopSources(); S.playing = false; S.bufs = null; S.urls = ''; S.pos = 0; S.loop = null;
    } else if (S.urls && key !== S.urls && d.sound && d.sound === S.early && d.urls.length === 3
               && S.bufs && S.bufs.length === 3 && d.urls.every(u => u)) {
      // The files of the sound the transport switched to early (hear): the same audio, now with its URL.
      ++S.gen; S.early = ''; S.pending = '';
      decoded.set(d.urls[2], S.bufs[2]);
      S.urls = key;
      settled();
    } else if (S.urls && key !== S.urls && key !== S.pending && d.urls.every(u => u)) {
      const gen = ++S.gen;
      if (S.playing) {
        S.pending = key;
        // The early audio of this very sound on its way (hear): the unaugmented versions are decoded already.
        const early = S.hearing && d.sound && S.hearing.id === d.sound && d.urls.length === 3 ? S.hearing.p : null;
        Promise.resolve(early).then(buf => {
          if (buf) { decoded.set(d.urls[2], buf); S.soundAt = performance.now(); }
          return decode(d.urls);
        }).then(bufs => {
          if (gen !== S.gen) return;
          S.pending = '';
          const at = positionAt(S.ctx.currentTime + LEAD_SWITCH);
          take(bufs, key);
          if (S.loop && S.loop[1] > S.dur) S.loop = null;
          if (S.playing) S.switched = start(Math.min(at, S.dur), true); else S.pos = Math.min(S.pos, S.dur);
          sync();
          settled();
        }, settled);
      } else {
        S.bufs = null; S.urls = ''; S.pending = ''; settled();
        if (d.duration && S.loop && S.loop[1] > d.duration) S.loop = null;
        if (d.duration && S.pos >= d.duration) S.pos = 0;
      }
    }
    sync();
  };
  const applyLoop = () => {
    const bx = box();
    S.setLoop(parseFloat(bx.querySelector('[data-abc=from]').value), parseFloat(bx.querySelector('[data-abc=to]').value));
  };
  document.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('#abc-box [data-abc], #b-voice [data-abc]');
    if (!b) return;
    const what = b.dataset.abc;
    if (what === 'play') { if (S.playing) S.pause(); else S.play(); }
    else if (what === 'loop') applyLoop();
    else if (what === 'whole') S.whole();
    else if (/^[0-3]$/.test(what)) S.select(+what);
  });
  // Keys 1/2/3 wherever focus is (a slider, a radio, a button), except where they are typed (text and number
  // fields). Enter in a loop field applies the loop. Capture phase: a widget that stops the key cannot eat it.
  const TYPED = /^(text|number|search|email|url|password|tel|date|time|datetime-local|month|week)$/;
  const typing = t => t && (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' ||
                            (t.tagName === 'INPUT' && TYPED.test(t.type || 'text')));
  document.addEventListener('keydown', e => {
    const t = e.target;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Enter' && t && t.matches && t.matches('#abc-box [data-abc=from], #abc-box [data-abc=to]')) {
      applyLoop(); e.preventDefault(); return;
    }
    if (typing(t)) return;
    if (/^[1-4]$/.test(e.key)) { S.select(+e.key - 1); e.preventDefault(); }
  }, true);
  const figureStops = () => Array.from(document.querySelectorAll('#spectrograms button, #spectrograms a'))
    .filter(e => e.offsetParent && !(e.tagName === 'BUTTON' && e.closest('a')));
  document.addEventListener('keydown', e => {
    const t = e.target;
    if (!t || e.altKey || e.ctrlKey || e.metaKey) return;
    if (t.closest && t.closest('#spectrograms') && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) {
      const stops = figureStops(), i = stops.indexOf(t);
      if (i < 0) return;
      stops[(i + (e.key === 'ArrowRight' ? 1 : stops.length - 1)) % stops.length].focus();
      e.preventDefault();
    } else if (t.type === 'range' && e.key === 'Enter' && t.closest('#controls')) {
      const block = t.closest('.block'), box = block && block.querySelector('input[type=number]');
      if (box) { box.focus(); box.select(); e.preventDefault(); }
    } else if (t.type === 'number' && t.dataset.roving === 'slider' && e.key === 'Escape') {
      const block = t.closest('.block'), range = block && block.querySelector('input[type=range]');
      if (range) { range.focus(); e.preventDefault(); }
    }
  }, true);
  // W and T step by one analysis frame (their 10 ms step is under a frame: most presses drew the same): an arrow
  // key moves to the 10 ms value nearest the next frame. The frame is in the transport's data (t0 = -frame/2).
  const FRAME_SLIDERS = /^range slider for (W|T): /;
  document.addEventListener('keydown', e => {
    const r = e.target;
    if (!r || r.type !== 'range' || !FRAME_SLIDERS.test(r.getAttribute('aria-label') || '')) return;
    const dir = {ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1}[e.key];
    const d = data();
    const frame = d && d.axes.length ? -2000 * d.axes[0].t0 : 0;
    if (!dir || !(frame > 0) || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const step = +r.step || 10, lo = +r.min || 0, hi = +r.max;
    const v = +r.value;
    let k = Math.round(v / frame) + dir, next = v;
    while (next === v || Math.round(next / frame) === Math.round(v / frame)) {
      next = Math.min(hi, Math.max(lo, Math.round(k * frame / step) * step));
      if (next === lo || next === hi) break;
      k += dir;
    }
    e.preventDefault();
    if (next === v) return;
    r.value = String(next);
    r.dispatchEvent(new Event('input', {bubbles: true}));
    r.dispatchEvent(new Event('change', {bubbles: true}));
  }, true);
  // Drag across the figure to choose a span.
  const hit = e => {
    const im = img();
    if (!im || !(e.target === im || (e.target.contains && e.target.contains(im)))) return null;
    const x = e.pageX;
    return panels(true).find(p => x >= p.left && x <= p.right && e.pageY >= p.top && e.pageY <= p.bottom) || null;
  };
  document.addEventListener('pointerdown', e => {
    const p = hit(e);
    if (!p) return;
    const t = tOf(p, e.pageX);
    S.drag = {p, a: t, b: t, x: e.pageX};
    S.dragged = false;
    e.preventDefault();
  }, true);
  document.addEventListener('pointermove', e => {
    if (!S.drag) return;
    const p = S.drag.p;
    S.drag.b = Math.max(p.t0, Math.min(p.t1, tOf(p, Math.max(p.left, Math.min(p.right, e.pageX)))));
    if (Math.abs(e.pageX - S.drag.x) > 4) S.dragged = true;
    draw();
  }, true);
  document.addEventListener('pointerup', () => {
    if (!S.drag) return;
    const d = S.drag;
    S.drag = null;
    if (S.dragged) {
      if (!S.dur) { const dd = data(); S.dur = dd ? dd.duration : 0; }
      S.setLoop(Math.min(d.a, d.b), Math.max(d.a, d.b));
    }
    draw();
  }, true);
  // A drag is not a click (the figure's click opens it full screen).
  document.addEventListener('click', e => { if (S.dragged) { S.dragged = false; e.stopPropagation(); e.preventDefault(); } }, true);
  window.addEventListener('resize', () => draw(true));
  window.addEventListener('scroll', () => draw(true), {passive: true});
  document.addEventListener('load', e => { if (e.target === img()) draw(true); }, true);  // a new figure
  new ResizeObserver(moved).observe(document.body);
  // Gradio's updates: new elements get names and keyboard stops once the page is idle (at most 300 ms later:
  // keyboard() reads the layout, innerText, which just after an update cost ~8 ms in the very task that starts
  // fetching the new figure), and the transport looks at its data again at once (Gradio may patch an HTML
  // block's attributes in place: those it reads are watched too). The playhead's text changes in place
  // (text()) and wakes nothing.
  let naming = false;
  const name = () => {
    if (naming) return;
    naming = true;
    const run = () => { naming = false; label(); group(); keyboard(); };
    if (window.requestIdleCallback) requestIdleCallback(run, {timeout: 300}); else setTimeout(run, 50);
  };
  new MutationObserver(list => {
    if (list.some(m => m.type === 'childList' && Array.from(m.addedNodes).some(n => n.nodeType === Node.ELEMENT_NODE))) {
      name();
    }
    watch();
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['data-urls', 'src', 'data-axes', 'data-duration', 'data-for', 'data-b-url',
                                               'data-b-for', 'data-b-label', 'data-b-name']});
  label();
  group();
  keyboard();
}
