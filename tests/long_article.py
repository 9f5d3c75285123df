"""A generated article that stresses the margin: 40 paragraphs of about 120 words, one note of about 150
words per paragraph, and three paragraphs carrying four notes each (two of them one after the other).

``write(root)`` adds it to a collection as content/long-notes.md and annotations/long-notes.yaml.
"""

from __future__ import annotations

import random
from pathlib import Path

SLUG = "long-notes"
PARAGRAPHS = 40
CROWDED = (6, 7, 27)  # paragraphs with four notes
WORDS = ("council", "record", "session", "statement", "minister", "report", "committee", "vote", "resolution",
         "document", "region", "detention", "camps", "testimony", "evidence", "question", "government", "delegation",
         "meeting", "agency", "press", "translation", "article", "claim", "source", "date", "figure", "parliament",
         "law", "court", "the", "of", "and", "a", "in", "on", "with", "for", "that", "was", "were", "said", "after",
         "before", "during", "which", "by", "its", "their", "this")


def _words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n)]


def write(root: Path, seed: int = 13) -> list[str]:
    """Write the article and its notes under root; the note ids, in reading order."""
    rng = random.Random(seed)
    paragraphs, notes = [], []
    for p in range(1, PARAGRAPHS + 1):
        words = _words(rng, 120)
        count = 4 if p in CROWDED else 1
        for k in range(count):  # each quote is made unique by its marker word
            at = 4 + k * 28 if count > 1 else rng.randrange(4, 100)
            quote = f"marker{p}x{k} " + " ".join(words[at:at + 5])
            words[at:at + 5] = [quote]
            note = " ".join(_words(rng, 150)).capitalize() + "."
            notes.append((f"p{p}-n{k}", quote, note))
        paragraphs.append(" ".join(words).capitalize() + ".")
    (root / "content").mkdir(exist_ok=True)
    (root / "content" / f"{SLUG}.md").write_text(
        "---\ntitle: A long article with many notes\noutlet: Generated\npublished: 2021-02-24\nlanguage: en\n---\n\n"
        "# A long article with many notes\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    (root / "annotations").mkdir(exist_ok=True)
    (root / "annotations" / f"{SLUG}.yaml").write_text("annotations:\n" + "".join(
        f"  - id: {i}\n    type: context\n    quote: \"{q}\"\n    note: \"{n}\"\n" for i, q, n in notes),
        encoding="utf-8")
    return [i for i, _, _ in notes]
