"""Which sentences answer a question: candidates gathered from the index and scored.

    search.py       HybridSearcher: gather (dense, chunk and lexical candidates), then score
    vector_cache.py the stored vectors questions have read, kept (a row's vector never changes)
    coverage.py     how much of a question's vocabulary a briefing holds, weighted by rarity
    recency.py      questions about the present prefer the newest briefings
    parties.py      "What did Russia propose?": sentences where the party acts come first
    reader.py       the cross-encoder reader: loading a trained one and scoring with it
    reader_onnx.py  the reader exported to ONNX (float32 or int8 weights), run by onnxruntime

May import: `retrieval.index`, `retrieval.embedding`, `retrieval.language`, `retrieval.types`,
`retrieval.errors`.
"""
