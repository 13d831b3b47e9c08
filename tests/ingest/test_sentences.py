"""Sentence splitting keeps exact offsets and does not break on quotes, dates or headlines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import sentences
from ingest.chunking import build_chunks
from ingest.loaders import load_file
from ingest.pipeline import sentences_of
from ingest.sentences import MAX_SENTENCE_CHARS, split_sentences
from retrieval.types import Briefing
from tests.conftest import SAMPLE


def test_offsets_round_trip_on_the_sample() -> None:
    (briefing,) = load_file(SAMPLE)
    sentences = sentences_of(briefing)
    assert len(sentences) > 10
    for s in sentences:
        assert briefing.text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    assert [s.index for s in sentences] == list(range(len(sentences)))


def test_headline_without_full_stop_stays_apart_from_the_paragraph() -> None:
    text = "Russia, Ukraine agree to prisoner swap\n\nRussia and Ukraine agreed on a swap."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Russia, Ukraine agree to prisoner swap",
        "Russia and Ukraine agreed on a swap.",
    ]


def test_dates_abbreviations_and_quotes_do_not_split() -> None:
    text = (
        "The talks on Monday (Jun 2) ended in Istanbul, said Mr. Keceli of the U.S. team. "
        "“We agreed to exchange all-for-all. Also, we agreed to return bodies,” Umerov said."
    )
    got = [text[a:b] for a, b in split_sentences(text)]
    assert (
        got[0] == "The talks on Monday (Jun 2) ended in Istanbul, said Mr. Keceli of the U.S. team."
    )
    assert got[-1].endswith("Umerov said.")
    assert all("Jun" not in s or "(Jun 2)" in s for s in got)


def test_overlong_runs_are_cut_into_embeddable_pieces() -> None:
    text = " ".join(["word"] * 400)
    spans = split_sentences(text)
    assert len(spans) > 1
    assert all(b - a <= MAX_SENTENCE_CHARS for a, b in spans)
    assert all(text[a:b].strip() == text[a:b] for a, b in spans)


def test_empty_and_symbol_only_lines_give_no_sentences() -> None:
    assert split_sentences("\n\n  \n---\n***\n") == []


def test_chunks_fit_the_model_and_cover_every_sentence(embeddings) -> None:
    long_sentence = "The delegations discussed " + "many detailed technical issues " * 12 + "."
    text = "\n".join([long_sentence] * 9)
    briefing = Briefing(id="b", title="A title", text=text, source="t")
    sentences = sentences_of(briefing)
    chunks = build_chunks("b", "A title", sentences, embeddings.token_counts, embeddings.max_tokens)
    covered = set()
    for chunk, embedded in chunks:
        assert embeddings.count_tokens(embedded) <= embeddings.max_tokens or (
            chunk.first_sentence == chunk.last_sentence
        )
        assert embedded.startswith("A title\n")
        covered.update(range(chunk.first_sentence, chunk.last_sentence + 1))
        assert chunk.id == f"b:c{chunk.index}"
    assert covered == set(range(len(sentences)))
    assert any(c.last_sentence > c.first_sentence for c, _ in chunks) or len(sentences) == 1


def test_a_windows_count_is_its_parts_added_up(embeddings) -> None:
    """Chunk sizes are summed from one count per sentence: exact for WordPiece, which splits
    at white space before anything else."""
    parts = [
        "Ceasefire talks",
        "Russia's delegation (led by Medinsky) left early.",
        "Kyiv said no.",
    ]
    counts = embeddings.token_counts(parts)
    joined = f"{parts[0]}\n{parts[1]} {parts[2]}"
    assert embeddings.count_tokens(joined) == sum(counts) + 2


def test_long_lines_reach_the_splitter_in_bounded_pieces(monkeypatch) -> None:
    """pysbd is super-linear on long lines: it never gets more than MAX_SEGMENT_CHARS."""
    real = sentences._segmenter()
    seen: list[int] = []

    class Spy:
        def segment(self, text: str) -> list[str]:
            seen.append(len(text))
            return list(real.segment(text))

    monkeypatch.setattr(sentences, "_segmenter", lambda: Spy())
    unpunctuated = "word " * 40_000  # 200 KB on one line
    punctuated = "The talks resumed on Monday in Istanbul. " * 2_000
    spans = split_sentences(unpunctuated + "\n" + punctuated)

    assert max(seen) <= sentences.MAX_SEGMENT_CHARS
    text = unpunctuated + "\n" + punctuated
    pieces = [text[a:b] for a, b in spans]
    assert all(len(p) <= sentences.MAX_SENTENCE_CHARS for p in pieces)
    # Cuts fall after a sentence's end where there is one: every sentence stays whole.
    assert pieces[-2_000:] == ["The talks resumed on Monday in Istanbul."] * 2_000


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .?!\n\"'"), max_size=12_000))
def test_sentences_are_in_order_within_the_text_and_never_overlap(text: str) -> None:
    spans = split_sentences(text)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)


def _briefing_text(topic: str, count: int) -> str:
    return " ".join(
        f"The {topic} delegation met on day {n} in Istanbul, said Mr. Keceli of the U.S. team. "
        f"“We agreed on point {n},” the {topic} envoy said."
        for n in range(count)
    )


def test_two_briefings_split_in_many_threads_at_once_each_split_as_alone() -> None:
    """pysbd keeps the text being split on its Segmenter: one Segmenter shared by threads
    split one briefing with the other's text (two ingests at once, INGEST_CONCURRENCY=2)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [_briefing_text("Russian", 150), _briefing_text("Ukrainian", 150)]
    alone = [split_sentences(t) for t in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: (n % 2, split_sentences(texts[n % 2])), range(60)))
    wrong = [n for n, spans in results if spans != alone[n]]
    assert not wrong, f"{len(wrong)} of {len(results)} splits differ from the same split alone"
    for n, spans in results:  # every sentence is a sentence of its own text
        assert all(texts[n][a:b].strip() == texts[n][a:b] and b > a for a, b in spans)
