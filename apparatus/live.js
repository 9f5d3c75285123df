// Apparatus live preview (injected by `build.py serve` only; never part of a built site).
(function () {
  "use strict";
  var KEY = "apparatus-scroll:" + location.pathname;
  // A reload must land where we say, not where the browser remembers: with "auto", Chromium restores the old
  // scroll position after location.reload(), after (and over) any scroll made while the page loads.
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  var saved = sessionStorage.getItem(KEY);
  if (saved !== null) {
    sessionStorage.removeItem(KEY);
    afterLayout(function () { restore(JSON.parse(saved)); });
  }

  // fn once the page has its final layout: loaded (async scripts included: notes.js places the margin
  // notes), fonts ready, and two frames later (notes.js lays out in an animation frame of its own)
  function afterLayout(fn) {
    function frames() { requestAnimationFrame(function () { requestAnimationFrame(fn); }); }
    function fonts() { if (document.fonts && document.fonts.ready) document.fonts.ready.then(frames); else frames(); }
    if (document.readyState === "complete") fonts(); else window.addEventListener("load", fonts, {once: true});
  }

  // Back to the note that changed, opened as a reader opens it (its number: notes.js expands the margin card on
  // a desk, or opens the note under its paragraph on a phone), with its passage and first line in view; else
  // back to where the page was.
  function restore(s) {
    var note = s.focus ? document.getElementById(s.focus) : null;
    if (!note) { window.scrollTo(0, s.y); return; }
    for (var d = note.closest("details:not([open])"); d; d = d.parentElement.closest("details:not([open])")) {
      d.open = true; // a template may fold notes away
    }
    var number = document.querySelector('sup.nref a[href="#' + CSS.escape(s.focus) + '"]');
    if (number) number.click();
    reveal(note, document.getElementById("hl_" + s.focus) || document.getElementById("ref_" + s.focus));
    note.classList.add("apparatus-flash");
    setTimeout(function () { note.classList.remove("apparatus-flash"); }, 1600);
  }
  // scroll so that the highlight's top and the note's first lines are both in view (the note alone if they
  // cannot be)
  function reveal(note, mark) {
    var rn = note.getBoundingClientRect(), vh = window.innerHeight;
    var top = rn.top, bottom = rn.top + Math.min(rn.height, 96);
    if (mark) {
      var rm = mark.getBoundingClientRect();
      if (Math.max(bottom, rm.bottom) - Math.min(top, rm.top) <= vh - 32) {
        top = Math.min(top, rm.top);
        bottom = Math.max(bottom, rm.bottom);
      }
    }
    if (top >= 0 && bottom <= vh) return;
    window.scrollBy(0, top - Math.max(16, (vh - (bottom - top)) / 3));
  }
  var style = document.createElement("style");
  style.textContent =
    "#apparatus-overlay{position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;" +
    "background:#2b0b0b;color:#ffe9e9;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;padding:1rem 1.25rem;" +
    "border-top:4px solid #ff6b6b;white-space:pre-wrap}" +
    "#apparatus-overlay h2{font:700 15px system-ui,sans-serif;margin:0 0 .5rem}" +
    ".apparatus-flash{outline:3px solid #f5a623;outline-offset:4px;transition:outline-color 1.5s}";
  document.head.appendChild(style);

  function here(urls) {
    if (urls.indexOf("*") !== -1) return true;
    var path = location.pathname.replace(/index\.html$/, "").replace(/^\//, "");
    return urls.indexOf(path) !== -1;
  }
  function overlay(text) {
    var box = document.getElementById("apparatus-overlay");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("section");
      box.id = "apparatus-overlay";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.innerHTML = "";
    var h = document.createElement("h2");
    h.textContent = "The last change has errors: this page shows the last good build.";
    var pre = document.createElement("div");
    pre.textContent = text;
    box.appendChild(h);
    box.appendChild(pre);
  }
  var source = new EventSource("/__apparatus/events");
  source.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    overlay("");
    if (!here(d.urls)) return;
    var focus = d.focus && here([d.focus[0]]) ? d.focus[1] : null;
    sessionStorage.setItem(KEY, JSON.stringify({y: window.scrollY, focus: focus}));
    location.reload();
  });
  source.addEventListener("errors", function (e) { overlay(JSON.parse(e.data).text); });
  source.addEventListener("ok", function () { overlay(""); });
})();
