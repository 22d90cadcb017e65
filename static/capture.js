// Heard browser capture: the sidebar's "Capture audio" button.
//
// Captures the agent's microphone (getUserMedia) and the call's tab audio
// (getDisplayMedia with audio: the softphone's tab), downmixes each to mono,
// merges them into two channels (0 = agent, 1 = caller) and lets the
// AudioWorklet (capture-worklet.js) convert to PCM16. Frames go to
// /ingest/browser/{call_id} over a websocket:
//   1. text  {"event":"start","sample_rate":48000,"channels":2,"encoding":"pcm16"}
//   2. binary frames of interleaved PCM16 little-endian (40 ms each)
//   3. text  {"event":"stop"} when the agent stops capturing
// With no tab audio shared, channels is 1 (the microphone only) and the page says so.
(function () {
  "use strict";

  var RATE = 48000;
  var MAX_BUFFERED = 1 << 20; // bytes queued in the socket before frames are dropped
  var session = null;

  function $(id) { return document.getElementById(id); }

  function say(text, isError) {
    var el = $("capture-state");
    if (!el) return;
    el.hidden = !text;
    el.textContent = text || "";
    el.classList.toggle("is-error", !!isError);
  }

  function setButton(on) {
    var b = $("capture-btn");
    if (!b) return;
    b.setAttribute("aria-pressed", String(on));
    b.textContent = on ? "Stop capture" : "Capture audio";
  }

  function wsUrl(callId) {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    return proto + location.host + "/ingest/browser/" + encodeURIComponent(callId);
  }

  function mono(ctx, stream) {
    // A gain node with one explicit channel downmixes whatever the track has.
    var src = ctx.createMediaStreamSource(stream);
    var g = ctx.createGain();
    g.channelCount = 1;
    g.channelCountMode = "explicit";
    g.channelInterpretation = "speakers";
    src.connect(g);
    return g;
  }

  async function tabAudio() {
    if (!navigator.mediaDevices.getDisplayMedia) return null;
    try {
      var s = await navigator.mediaDevices.getDisplayMedia({
        video: true, // required by browsers; the video track is stopped at once
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        preferCurrentTab: false,
        selfBrowserSurface: "exclude",
        systemAudio: "include",
      });
      s.getVideoTracks().forEach(function (t) { t.stop(); });
      if (!s.getAudioTracks().length) return null;
      return new MediaStream(s.getAudioTracks());
    } catch (e) {
      return null; // the agent cancelled the picker: microphone only
    }
  }

  async function start(callId, opts) {
    opts = opts || {};
    say("Asking for the microphone…");
    var mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    var tab = opts.tab === false ? null : await tabAudio();
    var channels = tab ? 2 : 1;
    var ctx = new AudioContext({ sampleRate: RATE });
    await ctx.audioWorklet.addModule("/static/capture-worklet.js");
    var node = new AudioWorkletNode(ctx, "heard-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: channels,
      channelCountMode: "explicit",
      channelInterpretation: "discrete",
      processorOptions: { channels: channels },
    });
    var merger = ctx.createChannelMerger(channels);
    mono(ctx, mic).connect(merger, 0, 0);
    if (tab) mono(ctx, tab).connect(merger, 0, 1);
    merger.connect(node);

    var ws = new WebSocket(wsUrl(callId));
    ws.binaryType = "arraybuffer";
    var s = { ctx: ctx, node: node, ws: ws, streams: [mic, tab].filter(Boolean), dropped: 0, sent: 0 };
    session = s;

    ws.onopen = function () {
      ws.send(JSON.stringify({ event: "start", sample_rate: ctx.sampleRate, channels: channels, encoding: "pcm16" }));
      say(tab ? "Capturing your microphone and the call's tab."
              : "Capturing your microphone only (no tab audio shared): the caller is not heard.", !tab);
    };
    ws.onclose = function (e) {
      if (session === s) {
        stop(false);
        say(e.code === 1000 ? "" : "Capture stopped by the server (" + e.code + (e.reason ? ": " + e.reason : "") + ").", e.code !== 1000);
      }
    };
    node.port.onmessage = function (e) {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED) { s.dropped++; return; } // never grow without bound
      ws.send(e.data);
      s.sent++;
    };
    // The agent stops sharing from the browser's own bar: stop cleanly.
    s.streams.forEach(function (st) {
      st.getTracks().forEach(function (t) { t.addEventListener("ended", function () { if (session === s) stop(true); }); });
    });
    setButton(true);
    return s;
  }

  function stop(sendStop) {
    var s = session;
    session = null;
    setButton(false);
    if (!s) return;
    try { s.node.port.postMessage("stop"); } catch (e) { /* already gone */ }
    s.streams.forEach(function (st) { st.getTracks().forEach(function (t) { t.stop(); }); });
    if (s.ws.readyState === WebSocket.OPEN) {
      if (sendStop) s.ws.send(JSON.stringify({ event: "stop" }));
      s.ws.close(1000, "capture stopped");
    }
    s.ctx.close();
    say("");
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("#capture-btn");
    if (!b) return;
    if (session) { stop(true); return; }
    start(b.dataset.callId).catch(function (err) {
      stop(false);
      say("Could not start capture: " + (err && err.message ? err.message : err), true);
    });
  });

  // For tests and integrations: window.HeardCapture.start(callId, {tab: false}).
  window.HeardCapture = { start: start, stop: stop, current: function () { return session; } };
})();
