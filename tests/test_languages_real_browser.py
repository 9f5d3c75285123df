"""The real collection's marked languages as Chromium reads them (Playwright + Debian Chromium): a span of Arabic
in a note is laid out right to left and isolated from the English around it; the Chinese idiom and the French
quotations are in their languages; a French link title is French."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

READ = """() => [...document.querySelectorAll('.note-text span[lang], .links a[lang]')].map(e => {
  const s = getComputedStyle(e);
  return [e.lang, e.dir, s.direction, s.unicodeBidi, e.textContent.replace(/\\s+/g, ' ')];
})"""


def test_marked_languages_are_laid_out_by_their_script(browser, served_collection: str) -> None:
    page = browser.new_page()
    page.goto(served_collection + "articles/france-china-mass-detentions-2019/")
    spans = page.evaluate(READ)
    page.goto(served_collection + "articles/le-drian-hrc46-xinjiang-2021/")
    spans += page.evaluate(READ)
    page.close()
    assert ["ar", "rtl", "rtl", "isolate", "«عمليات الاعتقال الجماعي التعسفية»"] in spans
    assert ["ar", "rtl", "rtl", "isolate", "فرنسا تدعو الصين لوقف عمليات الاعتقال"] in spans  # a link's title
    assert ["zh", "ltr", "ltr", "isolate", "大外宣被打脸"] in spans
    assert ["fr", "ltr", "ltr", "isolate", "« pratiques injustifiables à l'encontre des Ouïghours »"] in spans
    assert ["fr", "ltr", "ltr", "isolate",
            "Ouïghours : Paris appelle Pékin à mettre un terme aux détentions arbitraires de masse"] in spans
    assert all(s[2] == ("rtl" if s[0] == "ar" else "ltr") for s in spans)
    assert len({s[0] for s in spans}) == 3 and len(spans) >= 20
