"""Properties of chunking and identity, over generated input (hypothesis).

Sentence offsets have theirs in test_sentences.py."""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunking import SPECIAL_TOKENS, build_chunks
from ingest.identity import briefing_id_for, feed_url, normalise_url
from retrieval.types import Sentence

PROPERTY = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None)


def word_counts(texts: Sequence[str]) -> list[int]:
    """A stand-in tokenizer: one piece per word."""
    return [len(text.split()) for text in texts]


sentence_lengths = st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=40)


@PROPERTY
@given(
    sentence_lengths,
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=20, max_value=256),
    st.integers(min_value=1, max_value=10),
    st.integers(min_value=1, max_value=10),
)
def test_chunks_are_whole_ordered_windows_that_fit_and_cover_every_sentence(
    lengths: list[int], title_words: int, max_tokens: int, window: int, stride: int
) -> None:
    title = " ".join(["Talks"] * title_words)
    sentences = [
        Sentence(f"b:s{n}", "b", n, " ".join(["word"] * size), 0, 0)
        for n, size in enumerate(lengths)
    ]
    chunks = build_chunks("b", title, sentences, word_counts, max_tokens, window, stride)

    covered: set[int] = set()
    previous_first = -1
    for index, (chunk, embedded) in enumerate(chunks):
        assert chunk.id == f"b:c{index}" and chunk.index == index
        part = sentences[chunk.first_sentence : chunk.last_sentence + 1]
        assert 1 <= len(part) <= window
        assert chunk.text == " ".join(s.text for s in part)  # whole sentences, in order
        assert embedded == (f"{title}\n{chunk.text}" if title else chunk.text)
        size = SPECIAL_TOKENS + word_counts([title])[0] + sum(word_counts([s.text for s in part]))
        assert size <= max_tokens or len(part) == 1  # only a lone sentence may be too long
        assert chunk.first_sentence > previous_first  # windows move forward
        previous_first = chunk.first_sentence
        covered.update(range(chunk.first_sentence, chunk.last_sentence + 1))
    assert covered == set(range(len(sentences)))


hosts = st.sampled_from(["example.org", "News.Example.COM", "127.0.0.1", "[::1]"])
path_parts = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=8), max_size=4
)
queries = st.lists(
    st.tuples(
        st.sampled_from(["id", "page", "utm_source", "fbclid", "q"]),
        st.text(alphabet="abcé ~%", max_size=6),
    ),
    max_size=3,
)


def build_url(scheme: str, host: str, parts: list[str], query: list[tuple[str, str]]) -> str:
    path = "/" + "/".join(quote(p, safe="") for p in parts)
    params = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
    return f"{scheme}://{host}{path}" + (f"?{params}" if params else "")


@PROPERTY
@given(st.sampled_from(["http", "HTTPS"]), hosts, path_parts, queries, st.text(max_size=5))
def test_normalising_a_url_is_idempotent_and_ignores_what_does_not_name_the_page(
    scheme: str, host: str, parts: list[str], query: list[tuple[str, str]], fragment: str
) -> None:
    url = build_url(scheme, host, parts, query)
    normal = normalise_url(url)

    assert normalise_url(normal) == normal
    assert normalise_url(f"{url}#{quote(fragment)}") == normal  # fragments do not count
    assert normalise_url(build_url(scheme, host.upper(), parts, query)) == normal  # host case
    tracked = url + ("&" if "?" in url else "?") + "utm_campaign=x"
    assert normalise_url(tracked) == normal  # tracking parameters do not count
    assert briefing_id_for(url, "one text") == briefing_id_for(normal, "other text")
    assert urlsplit(normal).scheme == scheme.lower()
    assert feed_url(feed_url(url)) == feed_url(url)


# Escaped reserved characters ("%40" for "@") may mean something else to a server (RFC 3986,
# 6.2.2.2), so only the rest is spelled both ways.
plain_parts = st.lists(
    st.text(
        alphabet=st.characters(
            blacklist_categories=["Cs", "Cc"], blacklist_characters=":/?#[]@!$&'()*+,;=%"
        ),
        max_size=8,
    ),
    max_size=4,
)


@PROPERTY
@given(hosts, plain_parts)
def test_a_raw_and_a_percent_encoded_spelling_of_one_page_have_one_identity(
    host: str, parts: list[str]
) -> None:
    parts = [*parts, "page"]  # white space around a pasted link is not part of it
    raw = f"https://{host}/" + "/".join(parts)  # spaces and non-ASCII as a user pastes them
    encoded = build_url("https", host, parts, [])
    assert normalise_url(raw) == normalise_url(encoded)
    assert briefing_id_for(raw, "") == briefing_id_for(encoded, "")


@PROPERTY
@given(st.text(max_size=200), st.text(alphabet=" \t\n", min_size=1, max_size=3))
def test_text_ids_ignore_how_white_space_is_laid_out(text: str, space: str) -> None:
    relaid = space.join(text.split())
    assert briefing_id_for(None, text) == briefing_id_for(None, relaid)
    if text.split():
        assert briefing_id_for(None, text) != briefing_id_for(None, text + " more")
