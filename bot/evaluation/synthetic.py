"""Material for `briefbot bench` at sizes the real model cannot embed in minutes.

    standin_model(folder)      a tiny sentence-transformers model (random word embeddings, no
                               attention layers; the bundled model's tokenizer and dimension):
                               fast to embed with,
                               useless for quality, realistic for the store's and index's costs
    corpus(pool, sentences)    dated briefings of about 20 sentences drawn from real text, each
                               sentence made unique, so that vectors and terms are not repeats

Nothing is downloaded: the stand-in is built from a configuration, its vocabulary copied from
the bundled all-MiniLM-L6-v2. Quality figures never come from it.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

from retrieval.embedding.model import bundled_model_path
from retrieval.types import Briefing

SENTENCES_PER_BRIEFING = 20
FIRST_DAY = date(2024, 1, 1)
DAYS = 730
_TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
_PLACES = ("Geneva", "Istanbul", "Doha", "Riyadh", "Vienna", "Oslo", "Ankara", "Minsk", "Rome")


def standin_model(folder: Path, seed: int = 7) -> Path:
    """Build (once) the tiny stand-in model in folder; returns its path."""
    if (folder / "modules.json").exists():
        return folder
    import torch
    from sentence_transformers import SentenceTransformer, models  # type: ignore[attr-defined]
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    bundled = bundled_model_path()
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=384,
        num_hidden_layers=0,
        num_attention_heads=6,
        intermediate_size=384,
        max_position_embeddings=512,
    )
    encoder = folder / "encoder"
    BertModel(config).save_pretrained(encoder)
    for name in _TOKENIZER_FILES:
        if (bundled / name).exists():
            shutil.copy(bundled / name, encoder / name)
    word = models.Transformer(str(encoder), max_seq_length=128)
    dimension = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    pooling = models.Pooling(dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(folder))
    return folder


def sentence_pool(documents: Path) -> list[tuple[str, str]]:
    """(title, sentence) of every sentence of a documents.jsonl file."""
    from ingest.sentences import split_sentences

    pool = []
    with documents.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                doc = json.loads(line)
                text = doc["text"]
                pool += [(doc["title"], text[a:b]) for a, b in split_sentences(text)]
    return pool


def corpus(
    pool: Sequence[tuple[str, str]], sentences: int, seed: int = 11, prefix: str = "bench"
) -> Iterator[Briefing]:
    """About `sentences` sentences as dated briefings drawn from the pool, none repeated."""
    rng = random.Random(seed)
    made = 0
    number = 0
    while made < sentences:
        count = min(SENTENCES_PER_BRIEFING, sentences - made)
        picked = [pool[rng.randrange(len(pool))] for _ in range(count)]
        title = f"{picked[0][0]}: report {number}"
        # A detail of its own makes every sentence (and its vector) unique.
        body = " ".join(
            f"{text.rstrip('.')} ({rng.choice(_PLACES)} report {number}.{i})."
            for i, (_, text) in enumerate(picked)
        )
        yield Briefing(
            id=f"{prefix}-{number}",
            title=title,
            text=body,
            source=f"{prefix}/{number}",
            published=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
        )
        made += count
        number += 1
