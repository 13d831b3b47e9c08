"""Where briefings live: vectors in Chroma, everything else in the catalogue (SQLite).

    store.py             BriefingStore: writes a briefing's vectors and commits it; nearest
                         sentences and chunks; the clean-up of cut-off writes
    catalogue.py         Catalogue: the registry and the sentences, one connection per thread
    schema.py            the catalogue's tables as numbered migrations; rows as objects
    writes.py            the crash-safe write protocol (begin, commit, retire, forget)
    lexical.py           the lexical index: the FTS5 query and the term counts (IDF)
    entities.py          the people and groups sentences name: one entity per person whatever
                         the spelling, who said each sentence and who acts in it
    backlog.py           ReadingBacklog: the parse of briefings a bulk import stored unread,
                         done later, a few at a time
    sqlite.py            WAL, write transactions, the migration runner (bot/state uses it too)
    chroma_client.py     opening Chroma: embedded (guarded by a lock) or a server
    registry_upgrade.py  stores from before the catalogue, brought into it once

May import: `retrieval.embedding`, `retrieval.language`, `retrieval.types`, `retrieval.errors`.
"""
