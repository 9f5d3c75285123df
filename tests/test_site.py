from apparatus.annotations import Record
from apparatus.site import ArticleSummary, Citation, backlinks, records_by_kind, root_of


def test_relative_roots() -> None:
    assert root_of("") == ""
    assert root_of("records/") == "../"
    assert root_of("articles/a/") == "../../"


def test_backlinks_follow_article_then_note_order() -> None:
    c1 = Citation("a", "A", "x", 1, "correction", "q", "c", ("r1", "r2"))
    c2 = Citation("a", "A", "y", 2, "source", "q", "", ("r1",))
    c3 = Citation("b", "B", "z", 1, "context", "q", "", ("r2",))
    s = [ArticleSummary("a", "A", "O", "2021", False, {}, (c1, c2)),
         ArticleSummary("b", "B", "O", "2021", False, {}, (c3,))]
    assert backlinks(s) == {"r1": [c1, c2], "r2": [c1, c3]}


def test_records_grouped_by_kind_in_date_order() -> None:
    r = {k: Record(k, "t", "i", kind, date) for k, kind, date in
         [("b", "un", "2021"), ("a", "un", "2019"), ("c", "parliament", "2020")]}
    assert [(label, [x.id for x in rs]) for label, rs in records_by_kind(r)] == [
        ("United Nations", ["a", "b"]), ("Parliaments", ["c"])]
