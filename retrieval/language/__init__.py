"""What is read off text (rules, and spaCy's English parser), before any store or embedding: the
lowest room of retrieval.

    terms.py      words, stop words and Snowball stems as the lexical index and a question see
                  them; the BM25 formula
    parser.py     spaCy's parse and entities of a sentence: its speaker, who acts, who is named
    speakers.py   a briefing's speakers and actors: pronouns and surnames resolved in it (run
                  at ingest, kept per sentence)
    names.py      names as keys (spellings folded, titles dropped) and who belongs to which
                  party (parties.json)
    periods.py    the time a question names ("in May", "last week"), as dates
    markup.py     a question as text: tags and entities someone typed are not its words

May import: `retrieval.types`, `retrieval.errors`. Nothing else of retrieval.
"""
