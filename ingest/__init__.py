"""Getting briefings in: from a source to sentences and chunks written to the store.

    loaders.py      sources (file, upload, URL, stdin, .jsonl, eval sets) -> Briefing
    fetch.py        downloading a page safely: public addresses, bounded size, time, redirects
    extract.py      readable text out of HTML (trafilatura) and PDF
    time_budget.py  large HTML or PDF read in a child process that is killed at its deadline
    feeds.py        RSS and Atom: new items -> Briefings
    identity.py     deterministic ids: normalised URLs, briefing ids, content versions
    links.py        whether a text is an http(s) link
    sentences.py    sentences with exact character offsets (pysbd, one Segmenter per thread);
                    a briefing's sentences as stored (speakers, furniture, event days)
    chunking.py     overlapping windows of whole sentences
    pipeline.py     Ingester: split, find speakers, embed, write; de-duplicated and atomic
    bulk.py         a bulk import's splitting in worker processes, the parse left for later
    errors.py       IngestError and its kinds

May import: `retrieval` (types, errors, the store and what it is built from). Never `bot`.
"""
