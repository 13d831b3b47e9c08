"""One article once (issue 23): URL variants of a .jsonl record, the same text under two ids,
and a store from before today's URL rules, each end as one briefing."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.fetch import UrlFetcher
from ingest.identity import URL_RULES, briefing_id_for, normalise_url
from ingest.pipeline import Ingester
from retrieval.index.articles import text_key
from retrieval.index.store import BriefingStore
from retrieval.types import Briefing

ARTICLE = (
    "UN Secretary-General Antonio Guterres met President Zelensky in Kyiv on Thursday. "
    "Guterres said the war was an absurdity in the 21st century. "
    "Two rockets struck the city centre during the visit."
)
# The variants a CNN article arrived under in a scraped .jsonl of 432 real articles.
VARIANTS = (
    "https://edition.cnn.com/2022/04/28/europe/guterres-kyiv-visit/index.html",
    "https://edition.cnn.com/2022/04/28/europe/guterres-kyiv-visit/",
    "https://edition.cnn.com/2022/04/28/europe/guterres-kyiv-visit/index.html?cid=ios_app",
)


def _jsonl(path: Path, rows: list[dict[str, str]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_url_variants_of_a_jsonl_record_are_one_briefing(
    ingester: Ingester, store: BriefingStore, tmp_path: Path
) -> None:
    rows = [
        {"id": f"cnn-{n}", "title": "Guterres in Kyiv", "text": ARTICLE + " " * n, "url": url}
        for n, url in enumerate(VARIANTS)
    ]
    with UrlFetcher() as fetcher:
        results = ingester.ingest_sources([_jsonl(tmp_path / "news.jsonl", rows)], fetcher)
    assert [r.status for r in results] == ["added", "updated", "updated"]
    records = store.records()
    assert len(records) == 1
    assert records[0].url == "https://edition.cnn.com/2022/04/28/europe/guterres-kyiv-visit"
    # Each record's own id still names the one briefing (users and eval sets give them).
    assert store.catalogue.resolve(["cnn-0", "cnn-1", "cnn-2"]) == dict.fromkeys(
        ["cnn-0", "cnn-1", "cnn-2"], records[0].id
    )


def test_the_same_text_under_two_ids_is_one_briefing(
    ingester: Ingester, store: BriefingStore, tmp_path: Path
) -> None:
    rows = [
        {"id": "wire-1", "title": "Guterres in Kyiv", "text": ARTICLE},
        {"id": "wire-2", "title": "UN chief visits Kyiv", "text": ARTICLE.replace(". ", ".\n")},
    ]
    with UrlFetcher() as fetcher:
        results = ingester.ingest_sources([_jsonl(tmp_path / "wire.jsonl", rows)], fetcher)
        again = ingester.ingest_sources([_jsonl(tmp_path / "later.jsonl", rows[1:])], fetcher)
    assert [r.status for r in results] == ["added", "unchanged"]
    assert [r.status for r in again] == ["unchanged"]
    assert [r.id for r in store.records()] == ["wire-1"]
    assert store.catalogue.resolve(["wire-2"]) == {"wire-2": "wire-1"}


def test_a_store_from_before_the_url_rules_is_merged_once(
    ingester: Ingester, store: BriefingStore
) -> None:
    # Stored as the older rules stored them: each variant its own briefing and URL.
    old = [
        ingester.ingest(_briefing_as_before(url, ARTICLE + f" Update {n}."))
        for n, url in enumerate(VARIANTS)
    ]
    pasted = ingester.ingest(_briefing_as_before(None, ARTICLE + " Update 2."))
    assert len(store.records()) == 3  # the pasted copy was one already: the same words
    assert pasted.status == "unchanged"
    # The store was opened by the older rules: the catalogue records no URL rules yet.
    with store.catalogue._write() as db:
        db.execute("UPDATE meta SET value = 0 WHERE key = 'url_rules'")

    assert store.merge_articles(normalise_url, URL_RULES) == 2
    records = store.records()
    assert len(records) == 1
    assert records[0].url == normalise_url(VARIANTS[0])
    assert store.catalogue.resolve([r.briefing.id for r in old if r.briefing]) == dict.fromkeys(
        [r.briefing.id for r in old if r.briefing], records[0].id
    )
    check = store.check()
    assert check.sound and check.orphan_rows == 0  # the merged copies' vectors are gone
    assert store.merge_articles(normalise_url, URL_RULES) == 0  # once per version of the rules


def _briefing_as_before(url: str | None, text: str) -> Briefing:
    """A briefing identified as before issue 23: its URL as given, its id from it."""
    bid = "u-" + text_key(url)[:16] if url else briefing_id_for(None, text)
    return Briefing(id=bid, title="Guterres in Kyiv", text=text, source="old", url=url)
