// Apparatus live preview (injected by `build.py serve` only; never part of a built site).
(function () {
  "use strict";
  var KEY = "apparatus-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(KEY);
  if (saved !== null) {
    sessionStorage.removeItem(KEY);
    var s = JSON.parse(saved);
    if (s.focus && document.getElementById(s.focus)) {
      var note = document.getElementById(s.focus);
      note.scrollIntoView({block: "center"});
      note.classList.add("apparatus-flash");
      setTimeout(function () { note.classList.remove("apparatus-flash"); }, 1600);
    } else {
      window.scrollTo(0, s.y);
    }
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
