"""Embeddings: unit vectors, and bfloat16 arithmetic giving the float32 vectors' directions."""

from __future__ import annotations

import numpy as np

from retrieval.embedding.model import SentenceEmbeddings, cpu_has_bfloat16

TEXTS = [
    "Russia proposed a ceasefire of two or three days in some areas of the front.",
    "Ukraine handed over a list of children it says were deported.",
    "The next round of talks has no date yet.",
    "Prisoner exchanges: 1,000 for 1,000, the largest of the war so far, were agreed. " * 8,
]


def test_bfloat16_vectors_point_where_float32_ones_do(model) -> None:  # type: ignore[no-untyped-def]
    exact = SentenceEmbeddings(model, precision="float32")
    fast = SentenceEmbeddings(model, precision="bfloat16")
    assert not exact.uses_bfloat16 and fast.uses_bfloat16
    a, b = exact.encode(TEXTS), fast.encode(TEXTS)
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, rtol=1e-5)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.999
    # The model itself stays in float32: autocast changes the arithmetic, not the weights.
    assert str(next(model.parameters()).dtype) == "torch.float32"


def test_auto_follows_the_cpu(model) -> None:  # type: ignore[no-untyped-def]
    assert SentenceEmbeddings(model).uses_bfloat16 == cpu_has_bfloat16()


def test_nothing_to_embed_gives_an_empty_matrix(model) -> None:  # type: ignore[no-untyped-def]
    assert SentenceEmbeddings(model).encode([]).shape == (0, 384)


def test_threads_may_embed_and_count_at_once(model) -> None:  # type: ignore[no-untyped-def]
    # Two uploads ingested at once, or a question during an ingest: counting word pieces (no
    # padding) must not switch padding off under a batch being encoded in another thread.
    from concurrent.futures import ThreadPoolExecutor

    embeddings = SentenceEmbeddings(model, batch_size=4)
    expected_vectors = embeddings.encode(TEXTS)
    expected_counts = [embeddings.count_tokens(t) for t in TEXTS]

    def encode(_: int) -> np.ndarray:
        return embeddings.encode(TEXTS)

    def count(_: int) -> list[int]:
        return [embeddings.count_tokens(t) for t in TEXTS for _ in range(20)][::20]

    with ThreadPoolExecutor(max_workers=6) as pool:
        encoded = [pool.submit(encode, i) for i in range(24)]
        counted = [pool.submit(count, i) for i in range(48)]
        for future in encoded:
            np.testing.assert_allclose(future.result(), expected_vectors, atol=2e-2)
        for future in counted:
            assert future.result() == expected_counts
