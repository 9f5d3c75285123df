// Apparatus: select to annotate (injected by `build.py serve` only, on loopback, in the pages of a browser that opened
// the address with its token: see apparatus/panel.py; never part of a built site).
// Selecting words of an article opens a panel that asks the preview server for the YAML snippet that anchors
// them (apparatus/panel.py), offers to copy it, or to append it to annotations/<slug>.yaml; the watcher then
// rebuilds and live.js reloads the page with the new note.
(function () {
  "use strict";
  var me = document.currentScript;
  var token = me && me.getAttribute("data-token");
  var slug = me && me.getAttribute("data-slug");
  var areas = Array.prototype.slice.call(document.querySelectorAll("article .headline, article .article-body"));
  if (!token || !slug || !areas.length) return;
  var API = "/__apparatus/annotate/";
  var CONTEXT = 200;  // characters of the page's text sent on each side of the selection
  var panel = null, f = {}, sel = null, returnTo = null, seq = 0, idEdited = false, timer = 0, recTimer = 0;

  var style = document.createElement("style");
  style.textContent =
    "#apparatus-annotate{position:fixed;right:1rem;bottom:1rem;z-index:2147483646;box-sizing:border-box;" +
    "width:min(27rem,calc(100vw - 2rem));max-height:calc(100vh - 2rem);overflow:auto;background:#fff;color:#1b1b1b;" +
    "border:1px solid #767676;border-radius:8px;box-shadow:0 6px 24px rgba(0,0,0,.25);padding:.75rem 1rem 1rem;" +
    "font:15px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;text-align:start}" +
    "#apparatus-annotate *{box-sizing:border-box}" +
    "#apparatus-annotate h2{font-size:1rem;margin:0 2.5rem .5rem 0}" +
    "#apparatus-annotate .aa-quote{margin:0 0 .5rem;max-height:4.5em;overflow:auto;font-style:italic}" +
    "#apparatus-annotate label{display:block;font-weight:600;margin:.5rem 0 .15rem}" +
    "#apparatus-annotate input,#apparatus-annotate select,#apparatus-annotate textarea{width:100%;font:inherit;" +
    "font-size:16px;padding:.3rem .4rem;border:1px solid #767676;border-radius:4px;background:#fff;color:#1b1b1b}" +
    "#apparatus-annotate textarea{min-height:4.5em;resize:vertical}" +
    "#apparatus-annotate #apparatus-yaml{font:13px/1.35 ui-monospace,Menlo,Consolas,monospace;min-height:8em;" +
    "background:#f4f4f4;white-space:pre;overflow:auto}" +
    "#apparatus-annotate .aa-help{font-size:.85rem;color:#4a4a4a;margin:.1rem 0 0}" +
    "#apparatus-annotate .aa-actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}" +
    "#apparatus-annotate button{font:inherit;padding:.4rem .8rem;border-radius:4px;border:1px solid #1f4e8c;" +
    "background:#fff;color:#1f4e8c;cursor:pointer}" +
    "#apparatus-annotate button.aa-primary{background:#1f4e8c;color:#fff}" +
    "#apparatus-annotate button:focus-visible,#apparatus-annotate input:focus-visible," +
    "#apparatus-annotate select:focus-visible,#apparatus-annotate textarea:focus-visible{outline:3px solid #f5a623;" +
    "outline-offset:1px}" +
    "#apparatus-annotate .aa-close{position:absolute;top:.5rem;right:.5rem;padding:.1rem .55rem;font-size:1.2rem;" +
    "line-height:1.4}" +
    "#apparatus-annotate [role=alert]:not(:empty){margin:.75rem 0 0;padding:.5rem .6rem;border-left:4px solid #b3261e;" +
    "background:#fdecea;color:#5f1410;white-space:pre-wrap}" +
    "#apparatus-annotate [role=status]:not(:empty){margin:.75rem 0 0;color:#1d5e20}" +
    "#apparatus-annotate.aa-left{right:auto;left:1rem}" +  // a right-to-left article's text is on the right
    "@media (max-width:40rem){#apparatus-annotate,#apparatus-annotate.aa-left{right:0;left:0;bottom:0;width:auto;" +
    "max-height:75vh;" +
    "border-radius:8px 8px 0 0}}";
  document.head.appendChild(style);

  // -- the page's text, as a reader sees it (note numbers and notes opened in the text left out), and where a
  // selection lies in it
  var NOT_TEXT = "sup.nref, .inline-note";
  function textNodes() {
    var out = [], total = 0;
    areas.forEach(function (area, i) {
      if (i) total += 1;  // one separator between the headline and the body
      var walk = document.createTreeWalker(area, NodeFilter.SHOW_TEXT, {acceptNode: function (n) {
        return n.parentElement.closest(NOT_TEXT) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }});
      for (var n = walk.nextNode(); n; n = walk.nextNode()) {
        out.push({node: n, start: total});
        total += n.data.length;
      }
    });
    return out;
  }
  function offset(nodes, container, at) {
    var probe = document.createRange();
    probe.setStart(container, at);
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].node === container) return nodes[i].start + at;
      if (probe.comparePoint(nodes[i].node, 0) >= 0) return nodes[i].start;
    }
    var last = nodes[nodes.length - 1];
    return last ? last.start + last.node.data.length : 0;
  }
  function squeeze(s) { return s.replace(/\s+/g, " "); }
  function selected() {
    var s = window.getSelection();
    if (!s || s.isCollapsed || !s.rangeCount) return null;
    var r = s.getRangeAt(0);
    var inside = function (n) {
      var e = n.nodeType === 1 ? n : n.parentElement;
      return areas.some(function (a) { return a.contains(n); }) && !(e && e.closest(NOT_TEXT));
    };
    if (!inside(r.startContainer) || !inside(r.endContainer)) return null;
    var nodes = textNodes(), text = "", i;
    for (i = 0; i < nodes.length; i++) {
      text += (i && nodes[i].start > text.length ? " " : "") + nodes[i].node.data;
    }
    var a = offset(nodes, r.startContainer, r.startOffset), b = offset(nodes, r.endContainer, r.endOffset);
    var quote = squeeze(text.slice(a, b)).trim();
    if (!quote) return null;
    return {quote: quote, before: squeeze(text.slice(Math.max(0, a - CONTEXT), a)),
            after: squeeze(text.slice(b, b + CONTEXT)), key: a + ":" + b};
  }

  // -- the panel ----------------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }
  function field(id, label, control, help) {
    var wrap = el("div");
    wrap.appendChild(el("label", {"for": id}, label));
    control.id = id;
    wrap.appendChild(control);
    if (help) {
      var h = el("p", {"class": "aa-help", id: id + "-help"}, help);
      control.setAttribute("aria-describedby", h.id);
      wrap.appendChild(h);
    }
    return wrap;
  }
  function build() {
    // the panel speaks English, left to right, whatever the article's language; the quote is the article's
    var body = areas[areas.length - 1];
    panel = el("section", {id: "apparatus-annotate", role: "dialog", "aria-modal": "false", lang: "en", dir: "ltr",
                           "aria-labelledby": "apparatus-annotate-title"});
    if (getComputedStyle(body).direction === "rtl") panel.className = "aa-left";
    panel.appendChild(el("h2", {id: "apparatus-annotate-title"}, "Annotate the selection"));
    var close = el("button", {type: "button", "class": "aa-close", "aria-label": "Close the annotate panel"}, "×");
    close.addEventListener("click", hide);
    panel.appendChild(close);
    var quote = panel.appendChild(el("p", {"class": "aa-quote"}));
    quote.appendChild(document.createTextNode("“"));
    f.quote = quote.appendChild(el("bdi", {lang: body.lang || ""}));  // the article's words, in their direction
    quote.appendChild(document.createTextNode("”"));
    f.kind = el("select");
    ["correction", "context", "source"].forEach(function (k) { f.kind.appendChild(el("option", {value: k}, k)); });
    f.kind.value = "context";
    panel.appendChild(field("apparatus-kind", "Type", f.kind));
    f.id = el("input", {type: "text", autocomplete: "off", spellcheck: "false"});
    panel.appendChild(field("apparatus-id", "Id", f.id, "Suggested from the words; the note's address in the page."));
    f.note = el("textarea", {rows: "3", dir: "auto"});
    panel.appendChild(field("apparatus-note", "Note", f.note));
    f.correction = el("input", {type: "text", autocomplete: "off", dir: "auto", lang: body.lang || ""});
    f.correctionRow = panel.appendChild(field("apparatus-correction", "Corrected wording", f.correction));
    f.records = el("input", {type: "text", autocomplete: "off", spellcheck: "false", list: "apparatus-record-list"});
    panel.appendChild(field("apparatus-records", "Record ids", f.records,
                            "Separated by spaces; type an id, a symbol or words of a title for suggestions."));
    f.list = panel.appendChild(el("datalist", {id: "apparatus-record-list"}));
    f.yaml = el("textarea", {readonly: "", rows: "8", spellcheck: "false"});
    panel.appendChild(field("apparatus-yaml", "YAML snippet", f.yaml));
    var actions = panel.appendChild(el("div", {"class": "aa-actions"}));
    f.copy = actions.appendChild(el("button", {type: "button"}, "Copy"));
    f.add = actions.appendChild(el("button", {type: "button", "class": "aa-primary"},
                                   "Add to annotations/" + slug + ".yaml"));
    f.status = panel.appendChild(el("p", {role: "status"}));
    f.alert = panel.appendChild(el("p", {role: "alert"}));
    f.copy.addEventListener("click", copy);
    f.add.addEventListener("click", add);
    f.id.addEventListener("input", function () { idEdited = f.id.value !== ""; });
    [f.kind, f.id, f.note, f.correction, f.records].forEach(function (c) {
      c.addEventListener("input", later);
      c.addEventListener("change", later);
    });
    f.records.addEventListener("input", function () { clearTimeout(recTimer); recTimer = setTimeout(complete, 200); });
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); hide(); } });
    document.body.appendChild(panel);
  }
  function show(s) {
    if (!panel) build();
    if (panel.hidden || !sel) returnTo = document.activeElement;
    sel = s;
    panel.hidden = false;
    f.quote.textContent = s.quote;
    f.status.textContent = "";
    idEdited = false;
    f.id.value = "";
    sync();
    f.kind.focus();
  }
  function hide() {
    if (!panel || panel.hidden) return;
    panel.hidden = true;
    sel = null;
    if (returnTo && returnTo !== document.body && document.contains(returnTo)) returnTo.focus();
    returnTo = null;
  }
  function fields() {
    return {slug: slug, quote: sel.quote, before: sel.before, after: sel.after, kind: f.kind.value,
            id: idEdited ? f.id.value.trim() : "", note: f.note.value,
            correction: f.kind.value === "correction" ? f.correction.value : "",
            records: f.records.value.split(/[\s,]+/).filter(Boolean)};
  }
  function call(method, path, body) {
    var init = {method: method, headers: {"X-Apparatus-Token": token}, credentials: "same-origin"};
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (r) {
      return r.json().then(function (d) { return {ok: r.ok, data: d}; });
    }).catch(function () {
      return {ok: false, data: {error: "The preview server did not answer.", hint: "Is build.py serve still running?"}};
    });
  }
  function problem(d) { f.alert.textContent = d ? d.error + (d.hint ? "\nHint: " + d.hint : "") : ""; }
  function later() { clearTimeout(timer); timer = setTimeout(sync, 250); }
  function sync() {
    f.correctionRow.hidden = f.kind.value !== "correction";
    if (!sel) return;
    var mine = ++seq;
    call("POST", "snippet", fields()).then(function (r) {
      if (mine !== seq || !sel) return;  // a newer request is on its way
      if (!r.ok) { problem(r.data); return; }
      problem(null);
      f.yaml.value = r.data.yaml;
      if (!idEdited) f.id.value = r.data.id;
    });
  }
  function complete() {
    var words = f.records.value.split(/[\s,]+/);
    var last = words.pop(), kept = words.filter(Boolean).join(" ");
    if (!last) return;
    call("GET", "records?q=" + encodeURIComponent(last)).then(function (r) {
      if (!r.ok) return;
      f.list.textContent = "";
      r.data.forEach(function (h) {
        var o = el("option", {value: (kept ? kept + " " : "") + h.id});
        o.textContent = [h.id, h.symbol, h.title, h.date].filter(Boolean).join(" · ");
        f.list.appendChild(o);
      });
    });
  }
  function copy() {
    var done = function () { f.status.textContent = "Copied the snippet."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(f.yaml.value).then(done, fallback);
    } else {
      fallback();
    }
    function fallback() {
      f.yaml.focus();
      f.yaml.select();
      if (document.execCommand("copy")) done();
      else problem({error: "The browser did not let the page copy.", hint: "The snippet is selected: press Ctrl+C."});
    }
  }
  function add() {
    if (!sel) return;
    f.add.disabled = true;
    f.status.textContent = "Adding…";
    call("POST", "append", fields()).then(function (r) {
      f.add.disabled = false;
      if (!r.ok) { f.status.textContent = ""; problem(r.data); return; }
      problem(null);
      f.status.textContent = "Added '" + r.data.id + "' to " + r.data.file + ": the page reloads with it.";
    });
  }

  // -- opening: a selection in the article, made with a pointer, the keyboard or touch ------------------------
  // A selection opens the panel once: closed, it stays closed until the reader selects again (the focus going
  // back to the page must not reopen it).
  var last = "";
  function look() {
    var s = selected();
    if (!s) {
      if (window.getSelection().isCollapsed) last = "";
      return;
    }
    if (s.key === last) return;
    last = s.key;
    show(s);
  }
  var pending = 0;
  document.addEventListener("selectionchange", function () { clearTimeout(pending); pending = setTimeout(look, 400); });
  document.addEventListener("pointerdown", function (e) { if (!panel || !panel.contains(e.target)) last = ""; });
  document.addEventListener("pointerup", function () { clearTimeout(pending); pending = setTimeout(look, 0); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && panel && !panel.hidden && !panel.contains(e.target)) hide();
  });
})();
