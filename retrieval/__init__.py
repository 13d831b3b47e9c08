"""briefbot's store and answers: only what a question (or a briefing being stored) runs.

    types.py      the domain dataclasses that cross package boundaries (Briefing, Sentence,
                  Chunk, Citation, Answer, ...), frozen
    errors.py     the project's base exception and the store's errors
    language/     what is read off text: terms (stems, stop words, BM25), who said a
                  sentence, the time a question names
    embedding/    sentence vectors: the bundled model, and the ONNX query encoder
    index/        where briefings live: the store (Chroma), the catalogue in SQLite (schema,
                  write protocol, the FTS5 lexical index), opening Chroma
    ranking/      which sentences answer: hybrid search, coverage, recency, parties, the reader
    answering/    what the user gets: the extractive answer and its citations, timelines,
                  written answers from an LLM

Rooms import downwards only, in the order answering -> ranking -> index -> embedding ->
language, and any of them may use types and errors (tests/test_boundaries.py). retrieval/
imports neither `ingest` nor `bot` and reads no environment: everything arrives as arguments.
Training or reporting on a model is evaluation's business (bot/evaluation/reader/), not here.
"""
