/* Heard: the replay view (trainers, supervisors listening in).
 *
 * One <audio> element plays the call's mixed stereo recording (caller left, agent
 * right). The page carries the call's data once, as JSON in #replay-data; a call
 * still in progress is then polled for what was stored since (?after=cursor).
 *
 * Fast open for long calls: transcript lines are plain text <li>s built in one
 * DocumentFragment (CSS content-visibility skips laying out the off-screen ones);
 * word <span>s exist only in the line being played. Highlight and playhead follow
 * the audio on animation frames while playing (timeupdate alone is 4 Hz: too coarse
 * for words). Clicking a line, a cue marker, a cue card or the timeline seeks.
 *
 * Contract with tests and other screens: lines are <li id="utt-{speaker}-{seq}"
 * data-final="1" data-speaker data-start data-end>; the current line has class
 * "current" and aria-current="true"; markers are <button class="tl-marker"
 * data-cue-id data-cue-kind data-seek>. window.heardReplay exposes openMs.
 */
(function () {
  "use strict";

  var t0 = performance.now();
  var root = document.getElementById("replay");
  if (!root) return;
  var dataEl = document.getElementById("replay-data");
  var data = JSON.parse(dataEl ? dataEl.textContent : "{}");
  var audio = document.getElementById("player");
  var list = document.getElementById("rp-lines");
  var markers = document.getElementById("tl-markers");
  var track = document.getElementById("tl-track");
  var playhead = document.getElementById("tl-playhead");
  var cueList = document.getElementById("cue-list");
  var clockEl = document.getElementById("tl-clock");
  var stateEl = document.getElementById("call-state");

  var utts = []; // {id, s, q, t0, t1, x, w, el}, sorted by t0
  var cues = [];
  var current = null; // the utt being played
  var currentWord = -1;
  var userScrolledAt = -1e9;
  var cursor = data.cursor || 0;
  var live = !!data.live;
  var duration = (data.call && data.call.duration_s) || 0;
  var jsonUrl = root.getAttribute("data-json-url");
  var audioUrl = root.getAttribute("data-audio-url");

  function clock(s) {
    s = Math.max(0, Math.floor(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(x).padStart(2, "0");
  }

  function lastStartAtOrBefore(t) {
    // Binary search: the last utterance whose start is <= t.
    var lo = 0, hi = utts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (utts[mid].t0 <= t + 1e-3) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  // ------------------------------------------------------------------ transcript

  function lineFor(u) {
    var li = document.createElement("li");
    li.id = "utt-" + u.s + "-" + u.q;
    li.className = "rp-line rp-" + u.s;
    li.setAttribute("data-final", "1");
    li.setAttribute("data-speaker", u.s);
    li.setAttribute("data-start", u.t0.toFixed(3));
    li.setAttribute("data-end", u.t1.toFixed(3));
    li.setAttribute("data-i", String(u.i));
    var when = document.createElement("span");
    when.className = "rp-when";
    when.textContent = clock(u.t0);
    var who = document.createElement("span");
    who.className = "rp-who";
    who.textContent = u.s === "agent" ? "Agent" : (data.call && data.call.mono ? "Call" : "Caller");
    var text = document.createElement("span");
    text.className = "rp-text";
    text.textContent = u.x;
    li.appendChild(when);
    li.appendChild(who);
    li.appendChild(text);
    u.el = li;
    return li;
  }

  function addUtterances(rows) {
    if (!rows || !rows.length) return;
    var appendOnly = true;
    var items = rows.map(function (r) {
      return { id: r[0], s: r[1], q: r[2], t0: r[3], t1: r[4], x: r[5], w: r[6], el: null, i: 0 };
    });
    items.sort(function (a, b) { return a.t0 - b.t0 || a.id - b.id; });
    if (utts.length && items[0].t0 < utts[utts.length - 1].t0) appendOnly = false;
    if (appendOnly) {
      var frag = document.createDocumentFragment();
      items.forEach(function (u) {
        u.i = utts.length;
        utts.push(u);
        frag.appendChild(lineFor(u));
        if (u.t1 > duration) duration = u.t1;
      });
      list.appendChild(frag);
      return;
    }
    // A late line (the other speaker finished earlier): insert each in place.
    items.forEach(function (u) {
      var at = lastStartAtOrBefore(u.t0) + 1;
      utts.splice(at, 0, u);
      var next = utts[at + 1];
      list.insertBefore(lineFor(u), next ? next.el : null);
      if (u.t1 > duration) duration = u.t1;
    });
    utts.forEach(function (u, i) { u.i = i; u.el.setAttribute("data-i", String(i)); });
  }

  function wordsOf(u) {
    // Build the word spans of one line, once, when it is first played.
    if (!u.w || u.spans) return;
    var tokens = u.x.split(/\s+/).filter(Boolean);
    if (tokens.length !== u.w.length) { u.w = null; return; }
    var text = u.el.querySelector(".rp-text");
    text.textContent = "";
    u.spans = tokens.map(function (tok, i) {
      var span = document.createElement("span");
      span.className = "rp-w";
      span.textContent = tok;
      text.appendChild(span);
      if (i < tokens.length - 1) text.appendChild(document.createTextNode(" "));
      return span;
    });
  }

  function setCurrent(u, t) {
    if (u !== current) {
      if (current) {
        current.el.classList.remove("current");
        current.el.removeAttribute("aria-current");
        if (current.spans) current.spans.forEach(function (s) { s.className = "rp-w"; });
      }
      current = u;
      currentWord = -1;
      if (u) {
        u.el.classList.add("current");
        u.el.setAttribute("aria-current", "true");
        wordsOf(u);
        follow(u);
      }
    }
    if (u && u.spans && u.w) {
      // The word being said: the last one started by t (none before the first).
      var k = -1;
      for (var i = 0; i < u.w.length; i++) { if (u.w[i][0] <= t + 0.02) k = i; else break; }
      if (k !== currentWord) {
        for (var j = 0; j < u.spans.length; j++) {
          u.spans[j].className = j < k ? "rp-w said" : j === k ? "rp-w now" : "rp-w";
        }
        currentWord = k;
      }
    }
  }

  function follow(u, frame) {
    // Keep the current line in view, unless the reader scrolled in the last 4 s.
    // Lines not yet laid out have an estimated height (content-visibility), so a
    // long jump lands near, then is checked again for a few frames as they render.
    if (performance.now() - userScrolledAt < 4000 || u !== current) return;
    var box = list.getBoundingClientRect();
    var r = u.el.getBoundingClientRect();
    if (r.top < box.top + 8 || r.bottom > box.bottom - 8) {
      list.scrollTop += r.top - box.top - box.height / 3;
    }
    frame = frame || 0;
    if (frame < 10) requestAnimationFrame(function () { follow(u, frame + 1); });
  }

  // ------------------------------------------------------------------ timeline and cues

  function pct(t) { return duration > 0 ? Math.min(100, Math.max(0, (100 * t) / duration)) : 0; }

  function seekTo(t) {
    t = Math.max(0, t);
    try { audio.currentTime = t; } catch (e) { /* no media yet: the highlight still moves */ }
    userScrolledAt = -1e9;
    sync(t);
  }

  function renderCues() {
    markers.textContent = "";
    cueList.textContent = "";
    var lanes = [];
    var fragM = document.createDocumentFragment();
    var fragL = document.createDocumentFragment();
    cues.forEach(function (c) {
      var seek = c.evidence && typeof c.evidence.start === "number" ? c.evidence.start : c.raised_at;
      var left = pct(c.raised_at);
      var lane = 0;
      while (lanes[lane] !== undefined && left - lanes[lane] < 2.2) lane++;
      lanes[lane] = left;
      var m = document.createElement("button");
      m.type = "button";
      m.className = "tl-marker sev-" + c.severity + (c.alert ? " alert" : "");
      m.style.left = left + "%";
      m.style.top = (4 + 14 * Math.min(lane, 3)) + "px";
      m.setAttribute("data-cue-id", c.id);
      m.setAttribute("data-cue-kind", c.kind);
      m.setAttribute("data-raised-at", c.raised_at.toFixed(3));
      m.setAttribute("data-seek", seek.toFixed(3));
      m.title = c.title + " at " + clock(c.raised_at) + ": \u201c" + c.evidence.quote + "\u201d";
      m.setAttribute("aria-label", c.kind + " at " + clock(c.raised_at));
      fragM.appendChild(m);

      var card = document.createElement("article");
      card.className = "rp-cue sev-" + c.severity + (c.alert ? " alert" : "");
      card.setAttribute("data-cue-id", c.id);
      card.setAttribute("data-cue-kind", c.kind);
      card.setAttribute("data-seek", seek.toFixed(3));
      var h = document.createElement("h3");
      var at = document.createElement("button");
      at.type = "button";
      at.className = "rp-at";
      at.textContent = clock(c.raised_at);
      at.setAttribute("data-seek", seek.toFixed(3));
      h.appendChild(at);
      h.appendChild(document.createTextNode(" " + c.title));
      var line = document.createElement("p");
      line.className = "rp-say";
      line.textContent = c.line;
      var ev = document.createElement("blockquote");
      ev.className = "rp-evidence";
      ev.textContent = (c.evidence.speaker === "agent" ? "Agent: " : "Caller: ") + c.evidence.quote;
      card.appendChild(h);
      card.appendChild(line);
      card.appendChild(ev);
      if (c.feedback && c.feedback.length) {
        var fb = document.createElement("p");
        fb.className = "rp-fb muted";
        fb.textContent = "Agent feedback: " + c.feedback.join(", ").replace("not_helpful", "not helpful");
        card.appendChild(fb);
      }
      fragL.appendChild(card);
    });
    markers.appendChild(fragM);
    cueList.appendChild(fragL);
    var none = document.getElementById("cue-none");
    if (none) none.hidden = cues.length > 0;
  }

  function placeMarkers() {
    Array.prototype.forEach.call(markers.children, function (m) {
      m.style.left = pct(parseFloat(m.getAttribute("data-raised-at"))) + "%";
    });
  }

  // ------------------------------------------------------------------ sync loop

  function sync(t) {
    if (t === undefined) t = audio.currentTime || 0;
    var i = lastStartAtOrBefore(t);
    setCurrent(i >= 0 ? utts[i] : null, t);
    playhead.style.left = pct(t) + "%";
    clockEl.textContent = clock(t) + " / " + clock(duration);
  }

  var raf = 0;
  function loop() {
    sync();
    raf = audio.paused ? 0 : requestAnimationFrame(loop);
  }
  audio.addEventListener("play", function () { if (!raf) raf = requestAnimationFrame(loop); });
  audio.addEventListener("seeked", function () { sync(); });
  audio.addEventListener("timeupdate", function () { if (!raf) sync(); });
  audio.addEventListener("loadedmetadata", function () {
    if (isFinite(audio.duration) && audio.duration > duration) { duration = audio.duration; placeMarkers(); }
    sync();
  });

  root.addEventListener("click", function (ev) {
    var target = ev.target.closest("[data-seek]");
    if (target && root.contains(target)) { ev.preventDefault(); seekTo(parseFloat(target.getAttribute("data-seek"))); return; }
    var line = ev.target.closest("li.rp-line");
    if (line && window.getSelection && String(window.getSelection()).length === 0) {
      seekTo(parseFloat(line.getAttribute("data-start")));
    }
  });
  track.addEventListener("click", function (ev) {
    if (ev.target.closest(".tl-marker")) return;
    var r = track.getBoundingClientRect();
    seekTo(((ev.clientX - r.left) / r.width) * duration);
  });
  var noteForm = document.querySelector(".note-form");
  if (noteForm) {
    // A note is about the moment being played.
    noteForm.addEventListener("submit", function () {
      var at = noteForm.querySelector("input[name=at_s]");
      if (at) at.value = (audio.currentTime || 0).toFixed(1);
    });
  }
  ["wheel", "touchmove"].forEach(function (name) {
    list.addEventListener(name, function () { userScrolledAt = performance.now(); }, { passive: true });
  });
  list.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.matches("li.rp-line")) seekTo(parseFloat(ev.target.getAttribute("data-start")));
  });

  // ------------------------------------------------------------------ live calls

  function poll() {
    fetch(jsonUrl + "?after=" + encodeURIComponent(cursor), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (d) {
        addUtterances(d.utterances);
        cursor = d.cursor || cursor;
        cues = d.cues || cues;
        if (d.call && d.call.duration_s > duration) duration = d.call.duration_s;
        renderCues();
        live = !!d.live;
        if (stateEl && d.call) stateEl.textContent = d.call.state.replace("_", " ");
        root.setAttribute("data-live", live ? "1" : "0");
        if (!live) {
          // The call ended: reload the recording so the player has all of it.
          if (audio.paused) { audio.src = audioUrl + "?v=" + cursor; }
          return;
        }
        if (audio.paused && audio.ended) { var t = audio.currentTime; audio.src = audioUrl + "?v=" + cursor; audio.currentTime = t; }
        sync();
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  // ------------------------------------------------------------------ open

  addUtterances(data.utterances || []);
  cues = data.cues || [];
  renderCues();
  sync(0);
  var openMs = performance.now() - t0;
  root.setAttribute("data-ready", "1");
  root.setAttribute("data-open-ms", openMs.toFixed(1));
  // readyAt: ms from navigation start (request, server render, parse, this script).
  window.heardReplay = {
    openMs: openMs, readyAt: performance.now(), seek: seekTo,
    lines: function () { return utts.length; }
  };
  if (live) setTimeout(poll, 2000);
})();
