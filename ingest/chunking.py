"""Chunks: overlapping windows of whole sentences that fit the embedding model's input."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from retrieval.types import Chunk, Sentence

# Measured on the eval sets: 8-sentence windows every 4 sentences rank as well as 5 every 1
# (hit@3 0.864 vs 0.864) with 40% fewer chunks to embed; and windows that do not overlap (8
# every 8) as well as every 4 (squad-v1.1 hit@1 0.764 and hit@3 0.892 against 0.762 and 0.891;
# issue 24), with half the chunk text to embed.
WINDOW = 8
STRIDE = 8
SPECIAL_TOKENS = 2  # [CLS] and [SEP] around every text the model reads


def chunk_text(title: str, sentences: Sequence[Sentence]) -> str:
    """What a chunk embeds: the briefing title, then its sentences."""
    body = " ".join(s.text for s in sentences)
    return f"{title}\n{body}" if title else body


def build_chunks(
    briefing_id: str,
    title: str,
    sentences: Sequence[Sentence],
    token_counts: Callable[[Sequence[str]], list[int]],
    max_tokens: int = 256,
    window: int = WINDOW,
    stride: int = STRIDE,
) -> list[tuple[Chunk, str]]:
    """Windows of up to `window` sentences every `stride` sentences, each within max_tokens.

    A window is shortened (never cut inside a sentence) until title and sentences fit; every
    sentence lies in at least one chunk, so each has context to be ranked with. Sizes come
    from one count per sentence (`token_counts`, word pieces without special tokens): a
    window's text is its title and sentences joined by white space, so its count is theirs
    added up, plus the model's two special tokens.
    """
    counts = token_counts([title, *(s.text for s in sentences)])
    fixed = SPECIAL_TOKENS + (counts[0] if title else 0)
    sizes = counts[1:]
    chunks: list[tuple[Chunk, str]] = []
    n = len(sentences)
    start = 0
    covered = -1
    while start < n:
        end = min(start + window, n)
        while end - start > 1 and fixed + sum(sizes[start:end]) > max_tokens:
            end -= 1
        part = sentences[start:end]
        index = len(chunks)
        chunk = Chunk(
            id=f"{briefing_id}:c{index}",
            briefing_id=briefing_id,
            index=index,
            text=" ".join(s.text for s in part),
            first_sentence=part[0].index,
            last_sentence=part[-1].index,
        )
        chunks.append((chunk, chunk_text(title, part)))
        covered = end - 1
        if end >= n:
            break
        # Move on by the stride, but never skip a sentence no chunk has covered yet.
        start = min(start + stride, covered + 1)
    return chunks
