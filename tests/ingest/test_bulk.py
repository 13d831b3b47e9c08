"""A bulk import: split in other processes, stored unread, searchable at once; the reading
backlog then parses each briefing as a normal ingest would have."""

from __future__ import annotations

from datetime import date

from ingest.bulk import BulkSplitter, split_unread
from ingest.pipeline import Ingester, sentences_of
from retrieval.index.backlog import ReadingBacklog
from retrieval.index.store import BriefingStore
from retrieval.ranking.search import HybridSearcher
from retrieval.types import Briefing

TALKS = Briefing(
    id="talks",
    title="Istanbul talks",
    text=(
        "Russian negotiator Vladimir Medinsky said the memorandum was ready for signing.\n"
        "“We will meet again next week,” he added.\n"
        "Ukraine proposed an unconditional ceasefire of thirty days."
    ),
    source="talks.txt",
    published=date(2025, 6, 2),
)
PRISONERS = Briefing(
    id="prisoners",
    title="Prisoner exchange",
    text="Kyiv and Moscow exchanged 1,000 prisoners each on Friday, officials said.",
    source="prisoners.txt",
    published=date(2025, 6, 6),
)


def _speakers(store: BriefingStore, briefing_id: str) -> list[str]:
    return [s.sentence.speaker for s in store.catalogue.sentences_of(briefing_id)]


def test_bulk_is_searchable_unread_and_the_backlog_reads_it_as_ingest_would(
    ingester: Ingester, store: BriefingStore, searcher: HybridSearcher
) -> None:
    results = list(ingester.bulk([TALKS, PRISONERS], workers=1))
    assert [r.status for r in results] == ["added", "added"]
    assert [r.sentence_count for r in results] == [3, 1]
    backlog = ReadingBacklog(store.catalogue)
    assert backlog.remaining() == 2
    assert _speakers(store, "talks") == ["", "", ""]
    found = searcher.search("What did Ukraine propose?")
    assert found and found[0].stored.sentence.text.startswith("Ukraine proposed")

    assert backlog.read_all() == 2
    assert backlog.remaining() == 0
    expected = [s.speaker for s in sentences_of(TALKS)]
    assert _speakers(store, "talks") == expected
    assert expected[:2] == ["Vladimir Medinsky", "Vladimir Medinsky"]
    said = store.catalogue.statements_by("Medinsky", 10)
    assert {s.sentence.index for s in said} == {0, 1}
    assert backlog.read() == 0  # nothing left


def test_a_briefing_replaced_before_it_is_read_is_not_read(
    ingester: Ingester, store: BriefingStore
) -> None:
    list(ingester.bulk([TALKS], workers=0))
    newer = Briefing(
        id="talks",
        title="Istanbul talks",
        text=TALKS.text + "\nThe delegations left on Tuesday.",
        source="talks.txt",
        published=TALKS.published,
    )
    [result] = list(ingester.ingest_many([newer]))
    assert result.status == "updated"
    backlog = ReadingBacklog(store.catalogue)
    assert backlog.remaining() == 0  # the new version was parsed as it was stored
    assert _speakers(store, "talks")[0] == "Vladimir Medinsky"


def test_bulk_reports_a_briefing_without_sentences_and_stores_the_rest(
    ingester: Ingester,
) -> None:
    empty = Briefing(id="empty", title="Empty", text=" … — ", source="empty.txt")
    results = list(ingester.bulk([empty, PRISONERS], workers=0))
    assert [r.status for r in results] == ["failed", "added"]
    assert "no sentences" in results[0].error


def test_split_in_another_process_equals_split_here_without_the_parse() -> None:
    with BulkSplitter(workers=1) as splitter:
        [(batch, split)] = list(splitter.ahead([[TALKS, PRISONERS]]))
    assert batch == [TALKS, PRISONERS]
    assert split == split_unread([TALKS, PRISONERS])
    here = sentences_of(TALKS)
    assert [s.text for s in split[0]] == [s.text for s in here]
    assert all(s.speaker == "" for s in split[0])


def test_the_background_backlog_reads_while_it_runs(
    ingester: Ingester, store: BriefingStore
) -> None:
    list(ingester.bulk([TALKS, PRISONERS], workers=0))
    backlog = ReadingBacklog(store.catalogue)
    backlog.start()
    try:
        assert backlog.idle.wait(timeout=120)  # set once it found nothing left to read
    finally:
        backlog.stop()
    assert backlog.remaining() == 0
    assert _speakers(store, "talks")[0] == "Vladimir Medinsky"
