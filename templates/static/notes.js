// Notes beside the text. Progressive enhancement: without this script every note is in the numbered
// list after the article (beside it on a desk), linked both ways, and "Link to this note" is a plain
// #id link. With it, on a desk (>= 1100 px) each note is a compact card in the margin (number, type,
// the correction or the note's first lines) that starts beside its highlight; a card expands on a
// click, Enter or its "More" button and pushes down only the cards after it. On a phone a highlight
// or its number opens the note under the paragraph. A highlight, a number or an #id link opens the
// note and scrolls so that the passage and the note's first line are both in view; Escape closes and
// returns focus to the number. "Link to this note" copies the note's absolute address.
//
// Only vertical positions are computed (a card's top beside its highlight's top), so the same code serves a
// right-to-left article, whose notes the style sheet puts on the left, the inline end of its text.
//
// The page never waits for this script: it loads async, starts after DOMContentLoaded, and lays the
// margin out in an animation frame with one pass that reads every position, then one that writes
// every card's top (no forced reflow per card).
(function () {
  "use strict";
  var GAP = 6; // px between two cards
  // byId without a prototype: #__proto__ or #constructor is no note
  var article, list, notes, byId = Object.create(null), wide, expanded = null, inline = null, status = null;

  function hl(id) { return document.getElementById("hl_" + id) || document.getElementById("ref_" + id); }
  function ref(id) { return document.getElementById("ref_" + id); }
  function marks(id) {
    return Array.prototype.filter.call(article.querySelectorAll("mark[data-ann]"), function (m) {
      return m.getAttribute("data-ann").split(" ").indexOf(id) !== -1;
    });
  }
  function setActive(id, on) {
    marks(id).forEach(function (m) { m.classList.toggle("active", on); });
    if (byId[id]) byId[id].classList.toggle("active", on);
  }

  // --- a desk: cards in the margin -------------------------------------------------------------------

  // Where each card goes: as near its highlight as the cards before it allow. Cards that would overlap
  // form a run, centred on its highlights (so a paragraph with six notes spreads its cards above and
  // below them, not all below); a run never starts above the article (floor).
  function place(wants, heights, floor) {
    var runs = [];
    wants.forEach(function (want, i) {
      runs.push({first: i, count: 1, height: heights[i], lo: want, hi: want, top: Math.max(floor, want)});
      while (runs.length > 1) {
        var run = runs[runs.length - 1], prev = runs[runs.length - 2];
        if (prev.top + prev.height + GAP <= run.top) break;
        var shift = prev.height + GAP; // the run's cards come after prev's
        prev.lo = Math.min(prev.lo, run.lo - shift);
        prev.hi = Math.max(prev.hi, run.hi - shift);
        prev.height += GAP + run.height;
        prev.count += run.count;
        runs.pop();
        prev.top = Math.max(floor, (prev.lo + prev.hi) / 2); // may now overlap the run before: the loop merges them
      }
    });
    var tops = [];
    runs.forEach(function (run) {
      for (var i = run.first, y = run.top; i < run.first + run.count; i++) {
        tops.push(y);
        y += heights[i] + GAP;
      }
    });
    return tops;
  }

  function layout() {
    if (!wide.matches) {
      article.classList.remove("js-margin");
      notes.forEach(function (n) { n.style.top = ""; });
      list.style.height = "";
      return;
    }
    closeInline(false);
    article.classList.add("js-margin");
    var open = expanded;
    if (open) open.classList.remove("expanded");
    // read: every highlight's top and every collapsed card's height (one layout)
    var base = list.getBoundingClientRect().top;
    var floor = article.getBoundingClientRect().top - base;
    var wants = notes.map(function (n) { var h = hl(n.id); return h ? h.getBoundingClientRect().top - base : floor; });
    var heights = notes.map(function (n) { return n.offsetHeight; });
    var tops = place(wants, heights, floor);
    var openHeight = 0;
    if (open) { open.classList.add("expanded"); openHeight = open.offsetHeight; }
    // write: every card's top; an expanded card keeps its place and pushes down the cards after it
    var next = -Infinity;
    notes.forEach(function (n, i) {
      var top = Math.max(tops[i], next);
      n.style.top = top + "px";
      next = top + (n === open ? openHeight : heights[i]) + GAP;
    });
    list.style.height = Math.max(next, 0) + "px";
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; layout(); });
  }

  function expand(note) {
    if (expanded === note) return;
    if (expanded) collapse(false);
    expanded = note;
    note.classList.add("expanded");
    var t = note.querySelector(".note-toggle");
    if (t) { t.setAttribute("aria-expanded", "true"); t.firstChild.nodeValue = "Less"; }
    setActive(note.id, true);
    layout();
  }
  function collapse(relayout) {
    var note = expanded;
    if (!note) return;
    expanded = null;
    note.classList.remove("expanded");
    var t = note.querySelector(".note-toggle");
    if (t) { t.setAttribute("aria-expanded", "false"); t.firstChild.nodeValue = "More"; }
    setActive(note.id, false);
    if (relayout) layout();
  }

  // Scroll (only if needed) so that the highlight and the note's first line are both in view.
  function reveal(id) {
    var a = hl(id), n = byId[id];
    if (!a || !n) return;
    var ra = a.getBoundingClientRect(), rn = n.getBoundingClientRect();
    var top = Math.min(ra.top, rn.top), bottom = Math.max(ra.bottom, rn.top + 48);
    var vh = window.innerHeight;
    if (top >= 0 && bottom <= vh) return;
    window.scrollBy(0, top - Math.max(16, (vh - (bottom - top)) / 3));
  }

  // --- a phone: the note under its paragraph --------------------------------------------------------
  function closeInline(returnFocus) {
    if (!inline) return;
    var o = inline;
    inline = null;
    setActive(o.note.id, false);
    list.insertBefore(o.note, o.next);
    o.holder.remove();
    o.ref.setAttribute("aria-expanded", "false");
    if (returnFocus) o.ref.focus();
  }
  function openInline(note, r) {
    var same = inline && inline.note === note;
    closeInline(false);
    if (same) { r.focus(); return; }
    var block = r.closest("p, h1, h2, h3, h4, h5, h6, li, blockquote") || r;
    var holder = document.createElement("div");
    holder.className = "inline-note";
    // The note goes inside the article's text, but it is in the site's language and direction, not the
    // text's: a French or Uyghur article's note is read (and laid out) as the notes list is.
    var ui = list.closest("[lang]");
    holder.lang = ui ? ui.lang : "";
    holder.dir = getComputedStyle(list).direction;
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", "Note " + note.value);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close-note";
    close.textContent = "Close note";
    close.addEventListener("click", function () { closeInline(true); });
    inline = {note: note, ref: r, holder: holder, next: note.nextSibling};
    var one = document.createElement("ol"); // a list item stays in a list (axe: listitem)
    one.appendChild(note);
    holder.appendChild(one);
    holder.appendChild(close);
    block.after(holder);
    setActive(note.id, true);
    r.setAttribute("aria-expanded", "true");
    note.focus({preventScroll: true});
    holder.scrollIntoView({block: "nearest"});
  }

  function openNote(id) {
    var note = byId[id], r = ref(id);
    if (!note || !r) return;
    if (!wide.matches) { openInline(note, r); return; }
    expand(note);
    note.focus({preventScroll: true});
    reveal(id);
  }

  function fromHash() {
    var id;
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (e) {
      return;  // a malformed address (#%E0%A4%A): no note, and the rest of the script goes on
    }
    if (byId[id]) openNote(id);
  }

  // --- "Link to this note": copies the absolute address -------------------------------------------------
  function copyLink(a, e) {
    var url = a.getAttribute("data-url") || location.href.split("#")[0] + a.getAttribute("href");
    if (!navigator.clipboard || !window.isSecureContext) return; // the plain #id link then does its job
    e.preventDefault();
    history.replaceState(null, "", a.getAttribute("href"));
    navigator.clipboard.writeText(url).then(function () {
      status.textContent = "";
      status.textContent = "Link to note " + a.closest("li.note").value + " copied: " + url;
      a.classList.add("copied");
      window.setTimeout(function () { a.classList.remove("copied"); }, 2000);
    }, function () { location.hash = a.getAttribute("href"); });
  }

  function start() {
    article = document.querySelector("article.annotated");
    list = article && article.querySelector(".notes ol");
    if (!list) return;
    wide = window.matchMedia("(min-width: 1100px)");
    notes = Array.prototype.slice.call(list.querySelectorAll("li.note"));
    status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    article.appendChild(status);
    notes.forEach(function (n) {
      byId[n.id] = n;
      var t = document.createElement("button");
      t.type = "button";
      t.className = "note-toggle";
      t.setAttribute("aria-expanded", "false");
      t.setAttribute("aria-controls", n.id);
      t.appendChild(document.createTextNode("More"));
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " of note " + n.value;
      t.appendChild(hidden);
      t.addEventListener("click", function (e) {
        e.stopPropagation();
        if (expanded === n) { collapse(true); t.focus(); } else { expand(n); reveal(n.id); }
      });
      n.querySelector(".note-head").appendChild(t);
      n.addEventListener("click", function (e) {
        if (!wide.matches || expanded === n || e.target.closest("a, button")) return;
        expand(n);
      });
      n.querySelector(".backref").addEventListener("click", function (e) {
        e.preventDefault();
        var r = ref(n.id);
        if (inline && inline.note === n) { closeInline(true); return; }
        if (expanded === n) collapse(true);
        if (r) { r.focus(); r.scrollIntoView({block: "center"}); }
      });
      var link = n.querySelector(".note-link");
      if (link) link.addEventListener("click", function (e) { copyLink(link, e); });
    });
    article.querySelectorAll("sup.nref a").forEach(function (a) {
      a.setAttribute("aria-expanded", "false");
      a.addEventListener("click", function (e) {
        e.preventDefault();
        openNote(a.getAttribute("href").slice(1));
      });
    });
    article.querySelectorAll('.key-notes a[href^="#"]').forEach(function (a) {
      a.addEventListener("click", function (e) { // a second click on the same link opens the note again
        var id = a.getAttribute("href").slice(1);
        if (!byId[id]) return;
        e.preventDefault();
        if (location.hash !== "#" + id) history.pushState(null, "", "#" + id);
        openNote(id);
      });
    });
    article.querySelectorAll("mark[data-ann]").forEach(function (m) {
      m.addEventListener("click", function (e) {
        if (e.target.closest("a")) return; // a link inside the highlight keeps its meaning
        var ids = m.getAttribute("data-ann").split(" ");
        openNote(ids[ids.length - 1]); // the innermost: the latest to start
      });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      if (inline) { closeInline(true); return; }
      var note = expanded || (document.activeElement && document.activeElement.closest("li.note"));
      if (!note) return;
      if (expanded) collapse(true);
      var r = ref(note.id);
      if (r) r.focus();
    });
    wide.addEventListener("change", schedule);
    window.addEventListener("resize", schedule);
    window.addEventListener("hashchange", fromHash);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(schedule);
    window.requestAnimationFrame(function () {
      layout();
      fromHash();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
