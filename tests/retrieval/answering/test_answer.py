"""The answer chain over the sample briefing: the first user's questions, verbatim citations."""

from __future__ import annotations

import pytest

from ingest.loaders import load_file
from ingest.pipeline import Ingester
from retrieval.answering.answer import NOTHING_FOUND
from retrieval.types import Briefing, Question
from tests.conftest import SAMPLE


@pytest.fixture
def sample(ingester: Ingester) -> Briefing:
    (briefing,) = load_file(SAMPLE)
    ingester.ingest(briefing)
    return briefing


def test_russia_proposal_cites_partial_ceasefire_first(chain, sample: Briefing) -> None:
    answer = chain.invoke("What did Russia propose?")
    assert not answer.abstained
    first = answer.citations[0].sentence
    assert "proposed a partial ceasefire" in first or "proposed a specific ceasefire" in first


def test_exchange_question_cites_bodies_and_prisoner_categories(chain, sample: Briefing) -> None:
    answer = chain.invoke("What did the two sides agree to exchange?")
    cited = " ".join(c.sentence for c in answer.citations)
    assert "6,000 bodies" in cited
    assert "severely wounded" in cited or "seriously wounded" in cited


def test_unrelated_question_abstains(chain, sample: Briefing) -> None:
    answer = chain.invoke("What is the capital of Australia?")
    assert answer.abstained
    assert answer.citations == ()
    assert answer.text == NOTHING_FOUND


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened in Istanbul?", "talks"),
        ("What did Medinsky say?", "Medinsky"),  # the briefing says "said", never "say"
        ("What is the latest on the talks?", "talks"),  # "latest" asks when, not what
        ("Who led the Russian delegation?", "Russia"),
        ("Who is Umerov?", "Umerov"),  # a name the model does not know, but a sentence has
    ],
)
def test_everyday_news_questions_are_answered(
    chain, sample: Briefing, question: str, expected: str
) -> None:
    # Words missing from the briefing but everyday in English ("happened", "say", "led"), or a
    # name only the briefing knows, must not make the bot claim it knows nothing.
    answer = chain.invoke(question)
    assert not answer.abstained
    assert expected in " ".join(c.sentence for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    ["Is there train service in Fresno?", "Who won the football match?"],
)
def test_questions_on_other_subjects_abstain(chain, sample: Briefing, question: str) -> None:
    assert chain.invoke(question).abstained


def test_citations_are_the_stored_sentences_verbatim(chain, sample: Briefing) -> None:
    answer = chain.invoke(Question("Who is Russia's top negotiator?"))
    assert 1 <= len(answer.citations) <= 3
    for c in answer.citations:
        assert sample.text[c.start : c.end] == c.sentence
        assert c.doc_id == sample.id
        assert c.title == sample.title
        assert c.published == sample.published
        assert f"{c.sentence} [" in answer.text


def test_empty_store_abstains(chain) -> None:
    assert chain.invoke("What did Russia propose?").abstained


def test_blank_question_abstains(chain, sample: Briefing) -> None:
    assert chain.invoke("   ").abstained


def test_near_duplicate_sentences_are_cited_once(chain, ingester: Ingester) -> None:
    text = (
        "Russia proposed a ceasefire of three days along the front line.\n\n"
        "Russia proposed a ceasefire of three days along the front line!\n\n"
        "Markets in Asia were calm on Tuesday."
    )
    ingester.ingest(Briefing(id="dup", title="Talks", text=text, source="test"))
    answer = chain.invoke("What ceasefire did Russia propose?")
    proposals = [c for c in answer.citations if "ceasefire" in c.sentence]
    assert len(proposals) == 1


def test_as_of_hides_later_briefings(chain, ingester: Ingester) -> None:
    from datetime import date

    ingester.ingest(
        Briefing(
            id="old",
            title="Old",
            source="t",
            published=date(2025, 5, 1),
            text="The delegations met in Istanbul for ceasefire talks.",
        )
    )
    ingester.ingest(
        Briefing(
            id="new",
            title="New",
            source="t",
            published=date(2025, 7, 1),
            text="The delegations met in Geneva for ceasefire talks.",
        )
    )
    early = chain.invoke(
        Question("Where did the delegations meet for ceasefire talks?", as_of=date(2025, 6, 1))
    )
    assert {c.doc_id for c in early.citations} == {"old"}
    later = chain.invoke(Question("Where did the delegations meet for ceasefire talks?"))
    assert "new" in {c.doc_id for c in later.citations}
