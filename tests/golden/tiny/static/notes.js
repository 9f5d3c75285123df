// Notes beside the text. Progressive enhancement: without this script every note is in the numbered
// list after the article, linked both ways. With it: on wide screens the notes stand in the margin
// beside their highlight (never overlapping, pushed down in order); on narrow screens a highlight or
// its number opens the note inline under the paragraph. Enter opens, Escape closes, focus returns.
(function () {
  "use strict";
  var article = document.querySelector("article.annotated");
  var list = article && article.querySelector(".notes ol");
  if (!list) return;
  var wide = window.matchMedia("(min-width: 1100px)");
  var notes = Array.prototype.slice.call(list.querySelectorAll("li.note"));
  var byId = {};
  notes.forEach(function (n) { byId[n.id] = n; });
  var open = null; // {note, ref, holder}

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

  // --- wide screens: the margin -------------------------------------------------------------------
  function layout() {
    if (!wide.matches) {
      article.classList.remove("js-margin");
      notes.forEach(function (n) { n.style.top = ""; });
      return;
    }
    closeInline(false);
    article.classList.add("js-margin");
    var base = list.getBoundingClientRect().top + window.scrollY;
    var next = 0;
    notes.forEach(function (n) {
      var r = ref(n.id);
      var want = r ? r.getBoundingClientRect().top + window.scrollY - base - 6 : next;
      var top = Math.max(want, next);
      n.style.top = top + "px";
      next = top + n.offsetHeight + 12;
    });
    list.style.height = next + "px";
  }

  // --- narrow screens: inline under the paragraph ------------------------------------------------------
  function closeInline(returnFocus) {
    if (!open) return;
    var o = open;
    open = null;
    setActive(o.note.id, false);
    list.insertBefore(o.note, o.next);
    o.holder.remove();
    o.ref.setAttribute("aria-expanded", "false");
    if (returnFocus) o.ref.focus();
  }
  function openNote(id, r) {
    var note = byId[id];
    if (!note || !r) return;
    if (wide.matches) {
      notes.forEach(function (n) { setActive(n.id, false); });
      setActive(id, true);
      note.focus({preventScroll: true});
      return;
    }
    var same = open && open.note === note;
    closeInline(false);
    if (same) { r.focus(); return; }
    var block = r.closest("p, h1, h2, h3, h4, h5, h6, li, blockquote") || r;
    var holder = document.createElement("div");
    holder.className = "inline-note";
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", "Note " + note.value);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close-note";
    close.textContent = "Close note";
    close.addEventListener("click", function () { closeInline(true); });
    open = {note: note, ref: r, holder: holder, next: note.nextSibling};
    holder.appendChild(note);
    holder.appendChild(close);
    block.after(holder);
    setActive(id, true);
    r.setAttribute("aria-expanded", "true");
    note.focus({preventScroll: true});
    holder.scrollIntoView({block: "nearest"});
  }

  article.querySelectorAll("sup.nref a").forEach(function (a) {
    a.setAttribute("aria-expanded", "false");
    a.addEventListener("click", function (e) {
      e.preventDefault();
      openNote(a.getAttribute("href").slice(1), a);
    });
  });
  article.querySelectorAll("mark[data-ann]").forEach(function (m) {
    m.addEventListener("click", function (e) {
      if (e.target.closest("a")) return; // a link inside the highlight keeps its meaning
      var ids = m.getAttribute("data-ann").split(" ");
      var id = ids[ids.length - 1]; // the innermost: the latest to start
      openNote(id, ref(id));
    });
  });
  notes.forEach(function (n) {
    n.querySelector(".backref").addEventListener("click", function (e) {
      e.preventDefault();
      var r = ref(n.id);
      if (open && open.note === n) closeInline(true);
      else if (r) { setActive(n.id, false); r.focus(); r.scrollIntoView({block: "center"}); }
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (open) { closeInline(true); return; }
    var active = document.activeElement && document.activeElement.closest("li.note");
    if (active) { setActive(active.id, false); var r = ref(active.id); if (r) r.focus(); }
  });
  wide.addEventListener("change", layout);
  window.addEventListener("resize", function () { window.requestAnimationFrame(layout); });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout);
  layout();
  if (location.hash && byId[location.hash.slice(1)]) {
    var id = location.hash.slice(1);
    setActive(id, true);
    if (wide.matches) byId[id].scrollIntoView({block: "center"});
  }
})();
