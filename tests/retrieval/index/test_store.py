"""The store: idempotent writes, updates replace, all-or-nothing, server mode."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from ingest.pipeline import Ingester
from retrieval.embedding.model import SentenceEmbeddings
from retrieval.errors import StoreError, StoreLockedError
from retrieval.index.catalogue import Catalogue
from retrieval.index.chroma_client import DataDirLock, open_embedded, open_server
from retrieval.index.store import BriefingStore
from retrieval.ranking.search import HybridSearcher
from retrieval.types import Briefing

TALKS = Briefing(
    id="u-talks",
    title="Talks in Istanbul",
    text="Russia proposed a short ceasefire.\n\nUkraine asked for the return of children.",
    source="https://news.example/talks",
    url="https://news.example/talks",
    published=date(2025, 6, 2),
)


def visible_texts(store: BriefingStore) -> list[str]:
    return [s.sentence.text for r in store.records() for s in store.catalogue.sentences_of(r.id)]


def test_reingesting_the_same_briefing_changes_nothing(ingester: Ingester, store) -> None:
    assert ingester.ingest(TALKS).status == "added"
    assert ingester.ingest(TALKS).status == "unchanged"
    assert len(store.records()) == 1
    assert len(visible_texts(store)) == 2


def test_same_url_with_new_content_replaces_the_old_version(ingester: Ingester, store) -> None:
    ingester.ingest(TALKS)
    newer = Briefing(**{**TALKS.__dict__, "text": "The talks ended after one hour."})
    assert ingester.ingest(newer).status == "updated"
    assert visible_texts(store) == ["The talks ended after one hour."]
    (record,) = store.records()
    assert record.sentence_count == 1
    # Old rows are gone from Chroma itself, not only hidden.
    assert store._sentences.count() == 1


def test_a_crash_before_the_record_leaves_nothing_visible_and_the_next_ingest_repairs(
    ingester: Ingester, store: BriefingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(store.catalogue, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        ingester.ingest(TALKS)
    monkeypatch.undo()
    assert store.records() == []
    assert visible_texts(store) == []
    assert HybridSearcher(store).search("What did Russia propose?") == []

    assert ingester.ingest(TALKS).status == "added"
    assert sorted(visible_texts(store)) == sorted(
        ["Russia proposed a short ceasefire.", "Ukraine asked for the return of children."]
    )
    assert store._sentences.count() == 2  # the cut-off write's rows were cleaned up


def test_a_crash_during_an_update_keeps_the_old_version(
    ingester: Ingester, store: BriefingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingester.ingest(TALKS)
    newer = Briefing(**{**TALKS.__dict__, "text": "The talks ended after one hour."})
    monkeypatch.setattr(
        store.catalogue, "commit", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt())
    )
    with pytest.raises(KeyboardInterrupt):
        ingester.ingest(newer)
    monkeypatch.undo()
    assert "Russia proposed a short ceasefire." in visible_texts(store)
    assert "The talks ended after one hour." not in visible_texts(store)


def test_remove_forgets_a_briefing(ingester: Ingester, store: BriefingStore) -> None:
    ingester.ingest(TALKS)
    assert store.remove("u-talks") is True
    assert store.records() == []
    assert visible_texts(store) == []
    assert store.remove("u-talks") is False


def test_records_are_newest_first(ingester: Ingester, store: BriefingStore) -> None:
    for day in (1, 3, 2):
        ingester.ingest(
            Briefing(
                id=f"b{day}",
                title=f"Day {day}",
                source="t",
                text=f"Talks resumed on day {day}.",
                published=date(2025, 6, day),
            )
        )
    assert [r.id for r in store.records()] == ["b3", "b2", "b1"]


def test_second_opener_of_a_data_directory_is_refused_with_server_hint(tmp_path) -> None:
    first = open_embedded(tmp_path / "chroma")
    try:
        with pytest.raises(StoreLockedError) as err:
            open_embedded(tmp_path / "chroma")
        assert "CHROMA_HOST" in str(err.value) and "briefbot store-server" in str(err.value)
    finally:
        first.close()
    again = open_embedded(tmp_path / "chroma")  # released: usable again
    again.close()


def test_lock_names_the_holding_process(tmp_path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    try:
        with pytest.raises(StoreLockedError, match=r"pid \d+"):
            DataDirLock(tmp_path).acquire()
    finally:
        lock.release()


def test_server_mode_stores_and_answers(
    chroma_server, embeddings: SentenceEmbeddings, tmp_path
) -> None:
    host, port = chroma_server
    mine, theirs = Catalogue(tmp_path / "catalogue.db"), Catalogue(tmp_path / "catalogue.db")
    store = BriefingStore(open_server(host, port).client, embeddings, mine, namespace="server")
    searcher = HybridSearcher(store)
    assert searcher.search("What did Russia propose?") == []
    # Another client with its own catalogue connection (as another process would have) writes;
    # the first sees the complete briefing at once, reloading nothing.
    other = BriefingStore(open_server(host, port).client, embeddings, theirs, namespace="server")
    Ingester(other).ingest(TALKS)
    found = searcher.search("What did Russia propose?")
    assert found[0].stored.sentence.text == "Russia proposed a short ceasefire."
    mine.close()
    theirs.close()


def test_unreachable_server_gives_a_clear_error() -> None:
    from tests.conftest import free_port

    with pytest.raises(StoreError, match="Could not reach the Chroma server"):
        open_server("127.0.0.1", free_port())


def test_ids_with_commas_keep_their_chunk_context(ingester: Ingester, store) -> None:
    briefing = Briefing(
        id="Fresno,_California#3",
        title="Fresno, California",
        source="t",
        text="Fresno is a city in California. It lies in the San Joaquin Valley.",
    )
    ingester.ingest(briefing)
    stored = store.catalogue.sentences_of(briefing.id)
    keys = sorted({(briefing.id, n) for s in stored for n in s.chunks})
    chunk_rows = set(store.chunk_row_ids(keys).values())
    assert chunk_rows and set(store.chunk_vectors(sorted(chunk_rows))) == chunk_rows
    found = HybridSearcher(store).search("Which valley is Fresno in?")
    assert found[0].context > 0.3


def test_sentences_of_gives_one_briefing_in_order_with_vectors(ingester: Ingester, store) -> None:
    ingester.ingest(TALKS)
    ingester.ingest(Briefing(id="other", title="Other", source="t", text="Markets were calm."))
    (record,) = [r for r in store.records() if r.id == TALKS.id]
    rows = store.sentences_of(record)
    assert [s.sentence.text for s, _ in rows] == [
        "Russia proposed a short ceasefire.",
        "Ukraine asked for the return of children.",
    ]
    assert all(abs(float(v @ v) - 1.0) < 1e-4 for _, v in rows)


def test_concurrent_writers_of_one_briefing_end_with_one_complete_version(
    chroma, embeddings: SentenceEmbeddings, tmp_path
) -> None:
    rounds = 4
    texts = {
        "left": "Russia proposed a short ceasefire. The talks ended early.",
        "right": "Ukraine asked for the return of children. The talks went on all day.",
    }
    start = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        start.wait()  # both open the new catalogue at once, as two processes may
        try:
            catalogue = Catalogue(tmp_path / "catalogue.db")  # its own connections
        except BaseException as e:
            errors.append(e)
            return
        ingester = Ingester(BriefingStore(chroma.client, embeddings, catalogue))
        for n in range(rounds):
            item = Briefing(**{**TALKS.__dict__, "text": f"{texts[name]} Round {n}."})
            try:
                ingester.ingest(item)
            except StoreError as e:  # superseded by the other writer: allowed, said clearly
                assert "at the same time" in str(e)
            except BaseException as e:
                errors.append(e)
        catalogue.close()

    threads = [threading.Thread(target=writer, args=(name,)) for name in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    catalogue = Catalogue(tmp_path / "catalogue.db")
    store = BriefingStore(chroma.client, embeddings, catalogue)
    store.clean()
    record = store.record(TALKS.id)
    assert record is not None
    sentences = [s.sentence.text for s in catalogue.sentences_of(TALKS.id)]
    assert len(sentences) == record.sentence_count == 3
    assert any(" ".join(sentences).startswith(t) for t in texts.values())  # one whole version
    assert len(store.sentences_of(record)) == 3  # every live row has its vector
    assert store._sentences.count() == 3  # and nothing else is left
    assert catalogue.retired() == []
    catalogue.close()


def test_a_store_from_before_the_catalogue_is_brought_into_it(
    chroma, embeddings: SentenceEmbeddings, tmp_path
) -> None:
    """Rows and registry as the previous release wrote them (version-marked, no catalogue)."""
    client, version = chroma.client, "v1"
    cosine: Any = {"hnsw": {"space": "cosine"}}
    sentences = client.get_or_create_collection(
        "briefbot-sentences", embedding_function=None, configuration=cosine
    )
    chunks = client.get_or_create_collection(
        "briefbot-chunks", embedding_function=None, configuration=cosine
    )
    registry = client.get_or_create_collection("briefbot-briefings", embedding_function=None)
    texts = ["Russia proposed a short ceasefire.", "Ukraine asked for the return of children."]
    starts = [0, len(texts[0]) + 2]
    sentences.add(
        ids=[f"u-talks:s{i}@{version}" for i in range(2)],
        embeddings=embeddings.encode(texts),
        documents=texts,
        metadatas=[
            {
                "briefing_id": "u-talks",
                "version": version,
                "index": i,
                "start": starts[i],
                "end": starts[i] + len(t),
                "chunks": "0",
            }
            for i, t in enumerate(texts)
        ],
    )
    chunks.add(
        ids=[f"u-talks:c0@{version}"],
        embeddings=embeddings.encode(["Talks in Istanbul\n" + " ".join(texts)]),
        documents=[" ".join(texts)],
        metadatas=[
            {"briefing_id": "u-talks", "version": version, "index": 0, "first": 0, "last": 1}
        ],
    )
    registry.add(
        ids=["u-talks"],
        embeddings=[[1.0]],
        metadatas=[
            {
                "title": "Talks in Istanbul",
                "source": "s",
                "version": version,
                "sentence_count": 2,
                "url": "",
                "published": "2025-06-02",
                "added_at": "2025-06-02T10:00:00+00:00",
            }
        ],
    )
    catalogue = Catalogue(tmp_path / "upgraded.db")
    store = BriefingStore(client, embeddings, catalogue)
    (record,) = store.records()
    assert record.published == date(2025, 6, 2) and record.sentence_count == 2
    found = HybridSearcher(store).search("What did Russia propose?", as_of=date(2025, 6, 3))
    assert found[0].stored.sentence.text == texts[0] and found[0].context > 0.3
    assert "briefbot-briefings" not in [c.name for c in client.list_collections()]
    catalogue.close()


def test_check_sweeps_a_cut_off_write_and_rows_of_nobody_and_finds_missing_rows(
    ingester: Ingester, store: BriefingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingester.ingest(TALKS)
    later = Briefing(
        id="u-later", title="Later", text="The talks resumed in June.", source="later.txt"
    )

    def crash(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("power cut")  # after the rows, before the commit

    monkeypatch.setattr(store.catalogue, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        ingester.ingest(later)
    monkeypatch.undo()
    vector = store._sentences.get(include=["embeddings"], limit=1)["embeddings"][0]
    store._sentences.add(ids=["x:s0@nobody"], embeddings=[vector], documents=["stray"])
    assert store._sentences.count() == 2 + 1 + 1

    found = store.check(stale_after=0)
    assert (found.briefings, found.cleaned_writes, found.orphan_rows) == (1, 1, 1)
    assert found.sound and found.integrity == "ok"
    assert store._sentences.count() == 2

    one = store._sentences.get(include=[], limit=1)["ids"]
    store._sentences.delete(ids=one)
    assert store.check().incomplete == ("u-talks",)
    assert not store.check().sound
