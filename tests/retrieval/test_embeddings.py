"""Embeddings: unit vectors, and bfloat16 arithmetic giving the float32 vectors' directions."""

from __future__ import annotations

import numpy as np

from retrieval.embeddings import SentenceEmbeddings, cpu_has_bfloat16

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
