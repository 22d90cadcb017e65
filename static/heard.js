// Heard: the small behaviours htmx does not cover. No inline handlers (a strict
// Content-Security-Policy can forbid them); everything is delegated from here.
(function () {
  "use strict";

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  // Same words as app.render.ago.
  function ago(seconds) {
    if (!(seconds >= 60)) return "just now";
    var m = Math.floor(seconds / 60);
    if (m < 60) return m + " min ago";
    return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min ago";
  }

  // Ticking durations: <time class="tick" data-since="epoch seconds" [data-format="ago"]>.
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("time.tick[data-since]").forEach(function (el) {
      var since = parseFloat(el.dataset.since);
      if (!(since > 0)) return;
      el.textContent = el.dataset.format === "ago" ? ago(now - since) : clock(now - since);
    });
  }

  // Connection state of the page's websocket (htmx ws extension events).
  function setConn(state, label) {
    var el = document.getElementById("ws-state");
    if (!el) return;
    el.className = "conn conn--" + state;
    el.textContent = label;
    document.body.dataset.ws = state;
  }

  // CSRF: every htmx request echoes the session's token (cookie heard_csrf, set at
  // sign-in by app.security) in X-CSRF-Token; the server recomputes and compares.
  document.addEventListener("htmx:configRequest", function (e) {
    var m = document.cookie.match(/(?:^|;\s*)heard_csrf=([^;]+)/);
    if (m) e.detail.headers["X-CSRF-Token"] = decodeURIComponent(m[1]);
  });

  // CSRF (app/security/csrf.py): echo the heard_csrf cookie in every htmx request.
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    var token = cookie("heard_csrf");
    if (token) e.detail.headers["X-CSRF-Token"] = token;
  });

  // Feedback buttons: remember the verdict on the card (CSS shows it).
  document.addEventListener("htmx:afterRequest", function (e) {
    var btn = e.detail.elt;
    if (btn && btn.classList && btn.classList.contains("reset-btn")) {
      btn.setAttribute("aria-pressed", String(e.detail.successful));
      btn.textContent = e.detail.successful ? "Reset logged" : "Not saved, try again";
      return;
    }
    if (!btn || !btn.classList || !btn.classList.contains("fb")) return;
    var box = btn.closest(".cue-feedback");
    if (!box) return;
    box.dataset.verdict = e.detail.successful ? btn.dataset.verdict : "error";
    box.querySelectorAll(".fb").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b === btn && e.detail.successful));
    });
  });

  // A card updated in place keeps the verdict the agent already gave.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var target = e.detail.target, frag = e.detail.fragment;
    if (!target || !target.classList || !target.classList.contains("cue") || !frag) return;
    var old = target.querySelector(".cue-feedback[data-verdict]");
    if (!old) return;
    var fresh = frag.querySelector ? frag.querySelector(".cue-feedback") : null;
    if (fresh) fresh.dataset.verdict = old.dataset.verdict;
  });

  // Keep the transcript pinned to the newest line unless the agent scrolled up.
  var pinned = true;
  document.addEventListener("scroll", function (e) {
    var t = e.target;
    if (t && t.id === "transcript") pinned = t.scrollTop + t.clientHeight >= t.scrollHeight - 24;
  }, true);
  function pin() {
    var t = document.getElementById("transcript");
    if (t && pinned) t.scrollTop = t.scrollHeight;
  }

  document.addEventListener("htmx:wsConnecting", function () { setConn("connecting", "connecting"); });
  document.addEventListener("htmx:wsOpen", function () { setConn("open", "live"); });
  document.addEventListener("htmx:wsClose", function () { setConn("closed", "reconnecting"); });
  document.addEventListener("htmx:wsError", function () { setConn("closed", "reconnecting"); });
  document.addEventListener("htmx:wsAfterMessage", function () { tick(); pin(); });

  // Dismiss an alert banner (client side only; the row keeps its highlight).
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-dismiss='alert']");
    if (b) { var a = b.closest(".alert"); if (a) a.remove(); }
  });

  document.addEventListener("DOMContentLoaded", function () { tick(); pin(); });
  setInterval(tick, 1000);
})();
