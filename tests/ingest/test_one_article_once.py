"""One article once (issue 23): URL variants of a .jsonl record, the same text under two ids,
and a store from before today's URL rules, each end as one briefing; two outlets' copies of one
story stay two briefings of one story, quoted once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from ingest.fetch import UrlFetcher
from ingest.identity import URL_RULES, briefing_id_for, normalise_url
from ingest.pipeline import Ingester
from retrieval.index.articles import text_key
from retrieval.index.store import BriefingStore
from retrieval.types import Briefing, Question

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


# Two outlets' copies of one wire report, as on real news (the same Reuters story in the
# Vancouver Sun and in Reuters' own page): a lede rewritten, a sentence dropped.
WIRE = (
    "Microsoft said on Thursday it would remove from the environment all the carbon it has "
    "emitted since its founding in 1975. "
    'Chief Executive Satya Nadella said: "We are committed to being carbon negative by 2030." '
    "The company will spend 1 billion dollars over four years on a climate innovation fund. "
    "It will also require its suppliers to report their emissions. "
    "Microsoft emitted 16 million metric tons of carbon dioxide last year."
)
EDITED = WIRE.replace(
    "Microsoft said on Thursday it would",
    "The software giant Microsoft pledged on Thursday to",
).replace(" It will also require its suppliers to report their emissions.", "")


def test_two_outlets_copies_of_one_story_are_quoted_once_with_the_other_named(
    ingester: Ingester, store: BriefingStore, chain: Any
) -> None:
    from retrieval.answering.answer import statements_by
    from retrieval.answering.timeline import timeline
    from retrieval.ranking.search import HybridSearcher

    reuters, vansun = "https://reuters.com/a/microsoft", "https://vancouversun.com/microsoft"
    copies = [
        Briefing("reuters", "Microsoft to go carbon negative", WIRE, "t",
                 url=reuters, published=date(2020, 1, 16)),
        Briefing("vansun", "Microsoft pledges to erase its carbon", EDITED, "t",
                 url=vansun, published=date(2020, 1, 17)),
        Briefing("other", "Apple's climate plan", "Apple said on Tuesday it would be carbon "
                 "neutral across its supply chain by 2030.", "t", published=date(2020, 7, 21)),
    ]  # fmt: skip
    list(ingester.ingest_many(copies))
    records = store.records_of(["reuters", "vansun", "other"])
    assert records["vansun"].story == records["reuters"].story == "reuters"
    assert records["other"].story == "other"

    answer = chain.invoke(Question("How much will Microsoft spend on climate innovation?"))
    first = answer.citations[0]
    assert "1 billion dollars" in first.sentence
    assert {first.doc_id, *(a.doc_id for a in first.also)} == {"reuters", "vansun"}
    assert all("1 billion dollars" not in c.sentence for c in answer.citations[1:])

    said = statements_by(store, "Satya Nadella")
    assert len(said) == 1 and {said[0].doc_id, said[0].also[0].doc_id} == {"reuters", "vansun"}

    entries = timeline(HybridSearcher(store), "Microsoft carbon negative pledge")
    assert sum(e.citation.doc_id in ("reuters", "vansun") for e in entries) == 1
