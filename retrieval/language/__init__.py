"""What is read off text, before any store or model: the lowest room of retrieval.

    terms.py      words, stop words and Snowball stems as the lexical index and a question see
                  them; the BM25 formula
    speakers.py   who said a sentence of reported speech (run at ingest, kept per sentence)
    periods.py    the time a question names ("in May", "last week"), as dates
    markup.py     a question as text: tags and entities someone typed are not its words

May import: `retrieval.types`, `retrieval.errors`. Nothing else of retrieval.
"""
