"""Generate a deterministic synthetic Apparatus collection for benchmarks (see docs/format.md).

    python bench/gen.py DEST --articles N [--seed 1] [--corpus honest|pooled] [--languages en|mixed]

Two corpora (--corpus; the benchmarks report the honest one first):
  honest (default): every note distinct (40-150 words, **strong**, *emphasis*, links, some in two
      paragraphs; bench/prose.py distinct_note), and a tenth of the articles each in French, Chinese and
      Uyghur (as --languages mixed). A real collection repeats no note, so no cache of rendered notes
      helps it.
  pooled: notes drawn from a pool of 200 (so most repeat, and a cache of rendered notes hits), English
      only: the corpus of the figures before issue 19, kept to compare with them.
The articles and quotes are the same in both: only the notes and the languages differ.

Writes site.yaml; content/<slug>.md, ~750 words of Markdown each (`# heading`, 8-10 paragraphs
from the vocabulary in bench/prose.py with *emphasis*, **strong**, [links](...), “quotes” and ’);
annotations/<slug>.yaml, 5-7 annotations each;
annotations/_records.yaml, max(50, N // 10) records; and a copy of the repository's templates/.
Same seed and N give byte-identical files (one Random per article, no timestamps, no set order).
Each quote is checked to select exactly one place in the visible text (prefix/suffix words are
added when the run alone repeats); each article's first quote crosses a markup span's edge.
DEST must be empty or a previous output of this script.

--languages mixed: articles number 10k+1, 10k+2 and 10k+3 are French, Chinese and Uyghur (a tenth
each), from bench/languages.py: sentences in that language, quotes of a few words (a clause in
Chinese) that occur once, notes in the site's English. The English articles are those of the
default output, byte for byte.
"""
import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import languages as foreign  # noqa: E402  (bench/languages.py)
from prose import WORDS, distinct_note, make_notes, norm, paragraph  # noqa: E402  (bench/prose.py)

REPO = Path(__file__).resolve().parent.parent
CORPORA = {"honest": {"languages": "mixed", "notes": "distinct"},  # the benchmarks' corpus (see the docstring)
           "pooled": {"languages": "en", "notes": "pool"}}  # the figures' corpus before issue 19
MARKER = ".bench-gen"  # marks DEST as ours, so a re-run may replace it
OUTLETS = ["The Evening Ledger", "Harbour Times", "Northern Dispatch", "Weekly Observer",
           "Unattributed (wire copy)", "Continental Review", "The Daily Compass", "Radio Meridian"]
ISSUERS = {"un": ["UN Human Rights Council", "UN General Assembly", "UN Security Council",
                  "UN Committee on the Elimination of Racial Discrimination"],
           "parliament": ["House of Commons", "European Parliament", "Bundestag", "Seimas"],
           "legislation": ["National Assembly", "Congress", "Federal Parliament"],
           "government": ["Ministry of Foreign Affairs", "Prime Minister’s Office", "State Department"]}


def occurrences(blocks, quote, prefix="", suffix=""):
    """How many places in the (normalised) blocks match quote with this prefix and suffix."""
    q, p, s, n = norm(quote), norm(prefix), norm(suffix), 0
    for b in blocks:
        i = b.find(q)
        while i >= 0:
            n += b[:i].rstrip().endswith(p) and b[i + len(q):].lstrip().startswith(s)
            i = b.find(q, i + 1)
    return n


def pick_quote(rng, paras, blocks, used, cross):
    """A run of 2-6 visible tokens that selects exactly one place, with prefix/suffix if needed."""
    for _ in range(500):
        p = rng.randrange(len(paras))
        toks, _, spans = paras[p]
        k = rng.randint(2, 6)
        if cross and spans:  # straddle the opening or closing edge of a markup span
            x, y = rng.choice(spans)
            a = x - rng.randint(1, k - 1) if rng.random() < 0.5 else y - rng.randint(0, k - 2)
        else:
            a = rng.randint(0, len(toks) - k)
        a = max(0, min(a, len(toks) - k))
        if any(pp == p and a < y and x < a + k for pp, x, y in used):
            continue  # no two quotes overlap
        quote = " ".join(toks[a:a + k])
        for pre, suf in [(0, 0), (1, 0), (0, 1), (2, 0), (0, 2), (2, 2), (3, 3)]:
            if pre > a or a + k + suf > len(toks):
                continue
            prefix, suffix = " ".join(toks[a - pre:a]), " ".join(toks[a + k:a + k + suf])
            if occurrences(blocks, quote, prefix, suffix) == 1:
                if not (pre or suf) and 0 < a < len(toks) - k:  # optional, redundant context
                    r = rng.random()
                    prefix, suffix = (toks[a - 1], "") if r < .08 else ("", toks[a + k] if r < .15 else "")
                used.append((p, a, a + k))
                return quote, prefix, suffix
    raise RuntimeError("no unique quote found")


def scratch():
    """Where the benchmarks generate collections: _bench/ in the repository (ignored by git), on the same
    file system as a user's project. /tmp on this machine was far slower to create files in (bench/builds.py)."""
    path = REPO / "_bench"
    path.mkdir(exist_ok=True)
    return str(path)


def slugify(words):
    s = "-".join("".join(c for c in w.lower() if c.isascii() and c.isalnum()) for w in words)
    return "-".join(x for x in s.split("-") if x)


def q(s):  # a JSON string is a valid YAML double-quoted scalar
    return json.dumps(s, ensure_ascii=False)


def records_yaml(rng, n):
    recs = []
    for i in range(max(50, n // 10)):
        kind, year = rng.choice(list(ISSUERS)), rng.randint(1995, 2024)
        sym = {"un": rng.choice([f"A/HRC/{rng.randint(20, 58)}/{rng.randint(1, 80)}", None,
                                 f"CERD/C/{rng.choice(['CHN', 'FRA', 'TUR'])}/CO/14-17",
                                 f"S/RES/{rng.randint(1000, 2700)} ({year})"]),
               "parliament": rng.choice([f"HC Deb vol {rng.randint(500, 760)}", None]),
               "legislation": f"Law No. {year}-{rng.randint(1, 999)}"}.get(kind)
        rid = f"{kind[:3]}-{slugify((sym or 'rec').replace('/', ' ').split())}-{i + 1:04d}"
        r = [f"  - id: {rid}", f"    title: {q(' '.join(rng.choices(WORDS, k=rng.randint(4, 9))).capitalize())}",
             f"    issuer: {q(rng.choice(ISSUERS[kind]))}", f"    kind: {kind}",
             f"    date: {year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]
        r += [f"    symbol: {q(sym)}"] if sym else []
        if rng.random() < 0.7:
            r += [f"    url: https://example.org/records/{rid}", "    accessed: 2024-06-01"]
        elif rng.random() < 0.5:
            r.append('    note: "No online copy located; cited from a printed reprint."')
        recs.append((rid, "\n".join(r)))
    recs.sort()
    return [rid for rid, _ in recs], "records:\n" + "\n".join(text for _, text in recs) + "\n"


def note_maker(rng, notes, distinct, seed, i):
    """The notes of article i: from the pool, or (distinct) each made anew from a Random of its own. The pool is
    drawn from either way, so the article's own Random, and with it its text and quotes, stay the same."""
    own = random.Random(seed * 7_000_003 + i) if distinct else None
    count = iter(range(1, 100))

    def note():
        pooled = rng.choice(notes)
        return distinct_note(own, f"{i + 1}-{next(count)}") if own else pooled
    return note


def article(rng, i, record_ids, note):
    """(slug, Markdown file, annotations YAML, visible word count) for article number i."""
    title = " ".join(w.capitalize() for w in rng.choices(WORDS, k=rng.randint(5, 10)))
    slug = f"{slugify(title.split()[:4])}-{i + 1:05d}"
    paras = [paragraph(rng) for _ in range(rng.randint(8, 10))]
    blocks = [norm(title)] + [norm(" ".join(t)) for t, _, _ in paras]
    fm = [f"title: {q(title)}", f"outlet: {q(rng.choice(OUTLETS))}",
          f"published: {rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
          "language: en"] + [f"url: https://example.org/news/{slug}"] * (rng.random() < 0.6)
    md = "---\n{}\n---\n\n# {}\n\n{}\n".format("\n".join(fm), title, "\n\n".join(m for _, m, _ in paras))
    out, used, ids = ["annotations:"], [], set()
    for k in range(rng.randint(5, 7)):
        quote, prefix, suffix = pick_quote(rng, paras, blocks, used, cross=k == 0)
        aid = base = slugify(quote.split()[:3]) or "note"
        while aid in ids:
            aid = f"{base}-{len(ids) + 1}"
        ids.add(aid)
        typ = rng.choice(["correction", "context", "context", "source"])
        out += [f"  - id: {aid}", f"    type: {typ}", f"    quote: {q(quote)}"]
        out += [f"    prefix: {q(prefix)}"] * bool(prefix) + [f"    suffix: {q(suffix)}"] * bool(suffix)
        if typ == "correction":
            w = quote.split()
            w[rng.randrange(len(w))] = rng.choice(WORDS)
            out.append(f"    correction: {q(' '.join(w))}")
        out.append("    note: |\n" + "\n".join("      " + line if line else "" for line in note().split("\n")))
        recs = rng.sample(record_ids, rng.randint(1 if typ == "source" else 0, 2))
        out += [f"    records: [{', '.join(recs)}]"] if recs else []
        if rng.random() < 0.4:
            out.append("    links:")
            for j in range(rng.randint(1, 2)):
                pub = f", publisher: {q(rng.choice(OUTLETS))}" if rng.random() < 0.5 else ""
                out.append(f'      - {{url: "https://example.org/sec/{slug}/{j}", '
                           f"title: {q(' '.join(rng.choices(WORDS, k=4)).capitalize())}{pub}}}")
    return slug, md, "\n".join(out) + "\n", sum(len(t) for t, _, _ in paras)


def foreign_article(rng, i, lang, record_ids, note):
    """(slug, Markdown file, annotations YAML, visible word count) for article i in lang (fr, zh, ug)."""
    title = foreign.title(lang, rng)
    slug = f"{lang}-{i + 1:05d}"
    paras = [" ".join(foreign.sentence(lang, rng) for _ in range(rng.randint(4, 7)))
             for _ in range(rng.randint(8, 10))]
    if lang == "zh":
        paras = [p.replace(" ", "") for p in paras]
    tag = {"fr": "fr", "zh": "zh-Hans", "ug": "ug-Arab"}[lang]
    fm = [f"title: {q(title)}", f"outlet: {q(rng.choice(OUTLETS))}",
          f"published: {rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
          f"language: {tag}"]
    md = "---\n{}\n---\n\n# {}\n\n{}\n".format("\n".join(fm), title, "\n\n".join(paras))
    visible = "\n".join([title, *paras])
    out, ids = ["annotations:"], set()
    for k in range(rng.randint(5, 7)):
        for _ in range(200):  # a quote that occurs once: a clause (Chinese) or 2-6 words
            para = rng.choice(paras)
            if lang == "zh":
                quote = rng.choice([c for c in para.replace("。", "，").split("，") if len(c) > 3])
            else:
                toks = para.split()
                a = rng.randrange(len(toks) - 6)
                quote = " ".join(toks[a:a + rng.randint(2, 6)]).strip(".?!؟ ")
            first = visible.find(quote)  # once: no second occurrence, even one overlapping the first
            if first >= 0 and visible.find(quote, first + 1) < 0 and quote not in ids:
                break
        else:
            continue
        ids.add(quote)
        aid = f"note-{k + 1}"
        typ = rng.choice(["correction", "context", "context", "source"])
        out += [f"  - id: {aid}", f"    type: {typ}", f"    quote: {q(quote)}"]
        if typ == "correction":
            out.append(f"    correction: {q(foreign.title(lang, rng))}")
        out.append("    note: |\n" + "\n".join("      " + line if line else "" for line in note().split("\n")))
        recs = rng.sample(record_ids, rng.randint(1 if typ == "source" else 0, 2))
        out += [f"    records: [{', '.join(recs)}]"] if recs else []
    words = sum(len(p) if lang == "zh" else len(p.split()) for p in paras)
    return slug, md, "\n".join(out) + "\n", words


def generate(dest, n, seed=1, languages=None, corpus="honest"):
    """Write the collection into dest; return counts of articles, words, annotations, records. ``corpus``: a key of
    CORPORA; ``languages`` ("en" or "mixed"), when given, replaces the corpus's."""
    languages, distinct = languages or CORPORA[corpus]["languages"], CORPORA[corpus]["notes"] == "distinct"
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        if not (dest / MARKER).exists():
            raise SystemExit(f"{dest} is not empty and was not made by bench/gen.py")
        shutil.rmtree(dest)
    (dest / "content").mkdir(parents=True)
    (dest / "annotations").mkdir()

    def write(rel, text):
        (dest / rel).write_text(text, encoding="utf-8", newline="\n")
    write(MARKER, "made by bench/gen.py, which may delete this folder\n")
    rng = random.Random(seed)
    (record_ids, records), notes = records_yaml(rng, n), make_notes(rng)
    write("site.yaml", f"title: Synthetic collection ({n} articles, seed {seed})\n"
          "description: Generated by bench/gen.py for benchmarks.\nlanguage: en\noutput: _site\n")
    write("annotations/_records.yaml", records)
    words = annotations = 0
    for i in range(n):
        lang = {1: "fr", 2: "zh", 3: "ug"}.get(i % 10, "en") if languages == "mixed" else "en"
        own = random.Random(seed * 1_000_003 + i)
        note = note_maker(own, notes, distinct, seed, i)
        if lang == "en":
            slug, md, ann, nw = article(own, i, record_ids, note)
        else:
            slug, md, ann, nw = foreign_article(own, i, lang, record_ids, note)
        write(f"content/{slug}.md", md)
        write(f"annotations/{slug}.yaml", ann)
        words, annotations = words + nw, annotations + ann.count("\n  - id: ")
    if (REPO / "templates").is_dir():
        shutil.copytree(REPO / "templates", dest / "templates")
    return {"articles": n, "words": words, "annotations": annotations, "records": len(record_ids)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="honest",
                    help="honest (default): distinct notes, a tenth each in French, Chinese and Uyghur; "
                         "pooled: notes from a pool of 200, English only (the figures before issue 19)")
    ap.add_argument("--languages", choices=["en", "mixed"],
                    help="replaces the corpus's; mixed: a tenth of the articles each in French, Chinese and Uyghur")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    s = generate(a.dest, a.articles, a.seed, a.languages, a.corpus)
    print(f"generated {s['articles']} articles ({s['words']} words, {s['annotations']} annotations, "
          f"{s['records']} records) "
          f"in {a.dest} in {time.perf_counter() - t:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
