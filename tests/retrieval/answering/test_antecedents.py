"""A sentence that leans on the one before ("Russian forces seized control of the plant") is
judged with it and quoted with it as context (issue 23, item 5)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ingest.pipeline import Ingester
from retrieval.language.antecedents import leans_on_previous
from retrieval.types import Briefing, Question


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("They agreed to meet again.", True),
        ("On Monday, they met again.", True),
        ("The plant was disconnected from the grid.", True),
        ("The two delegations met for an hour.", True),
        ("Russian forces seized control of the plant.", True),
        ("It is the largest nuclear plant in Europe.", True),
        ("The Zaporizhzhia plant was disconnected.", False),
        ("Russian forces seized the Zaporizhzhia nuclear plant.", False),
        ("This week, Russia said no.", False),
        ("The Normans were a people.", False),
        ("Hermann said it was fine.", False),
    ],
)
def test_a_sentence_leans_on_the_one_before_when_it_names_its_subject_by_kind(
    sentence: str, leans: bool
) -> None:
    assert leans_on_previous(sentence) is leans


CHERNOBYL = Briefing(
    "chernobyl",
    "Fighting in the north",
    "Russian troops crossed from Belarus and reached the Chernobyl exclusion zone on Thursday. "
    "Russian forces seized control of the plant after a day of fighting. "
    "Ukraine's president said the staff were being held hostage.",
    "test",
    published=date(2022, 2, 24),
)
ZAPORIZHZHIA = Briefing(
    "zaporizhzhia",
    "Shelling in the south",
    "Shelling set fire to a training building at the Zaporizhzhia nuclear plant overnight. "
    "Russian forces took the Zaporizhzhia plant on Friday morning, the regulator said.",
    "test",
    published=date(2022, 3, 4),
)


def test_the_sentence_that_leans_carries_its_antecedent_and_is_judged_with_it(
    ingester: Ingester, chain: Any
) -> None:
    list(ingester.ingest_many([CHERNOBYL, ZAPORIZHZHIA]))

    about_zaporizhzhia = chain.invoke(
        Question("When did Russian forces seize the Zaporizhzhia plant?", max_citations=5)
    )
    first = about_zaporizhzhia.citations[0]
    assert first.doc_id == "zaporizhzhia" and "Friday morning" in first.sentence

    about_chernobyl = chain.invoke(
        Question("Did Russian forces seize control of the Chernobyl plant?", max_citations=5)
    )
    [seized] = [c for c in about_chernobyl.citations if "control of the plant" in c.sentence]
    assert seized.context == CHERNOBYL.text.split(". ")[0] + "."
    assert not [c for c in about_chernobyl.citations if c.context and c.doc_id == "zaporizhzhia"]
