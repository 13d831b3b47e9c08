"""Who said what: the speaker rules on tricky sentences, and speakers kept in the catalogue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retrieval.index.catalogue import Catalogue
from retrieval.language.speakers import speaker_of, speakers
from tests.retrieval.index.test_catalogue import entry, store


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("“The meeting is over,” Keceli said.", "Keceli"),
        ("Medinsky said Moscow had offered a ceasefire.", "Medinsky"),
        ("The list was handed over, said Ukraine's negotiator Rustem Umerov.", "Rustem Umerov"),
        ("According to Yermak, the list was handed over.", "Yermak"),
        ("The talks ended, according to Russian state media.", "Russian state media"),
        (
            "Following the talks, Turkish Foreign Ministry spokesperson, Oncu Keceli, said, "
            "“The meeting is over.”",
            "Oncu Keceli",
        ),
        (
            "However, Russia's top negotiator, Vladimir Medinsky, said that Moscow agreed.",
            "Vladimir Medinsky",
        ),
        # a quote within a quote: the attribution outside both names the speaker
        ("“He told me ‘never’, Medinsky said,” Umerov told reporters.", "Umerov"),
        ("“Medinsky said no,” Umerov added.", "Umerov"),
        ("Russia proposed a memorandum.", ""),
        ("Ukraine asked for the return of 339 children.", ""),
        ("“We will meet again,” he added.", ""),  # no sentence before to say who "he" is
    ],
)
def test_the_speaker_of_a_sentence(sentence: str, speaker: str) -> None:
    assert speaker_of(sentence) == speaker


def test_a_pronoun_takes_the_speaker_of_the_sentence_before() -> None:
    assert speakers(
        [
            "Umerov told reporters the talks had been useful.",
            "“We will meet again in June,” he added.",
            "The delegations left Istanbul in the evening.",
            "“Soon,” she said.",
        ]
    ) == ["Umerov", "Umerov", "", ""]


def test_speakers_are_kept_and_an_older_catalogue_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.db"
    catalogue = Catalogue(path)
    store(catalogue, entry("a", "Talks", ["Talks ended.", "“No deal,” Medinsky said."]))
    [_, said] = catalogue.sentences_of("a")
    assert said.sentence.speaker == ""  # entry() builds sentences without a speaker
    catalogue.close()
    with sqlite3.connect(path) as db:  # the file as the version before speakers left it
        db.execute("DROP INDEX sentences_by_speaker")
        db.execute("ALTER TABLE sentences DROP COLUMN speaker")
        db.execute("PRAGMA user_version = 1")
    reopened = Catalogue(path)
    assert [s.sentence.speaker for s in reopened.sentences_of("a")] == ["", "Medinsky"]
    assert [s.sentence.text for s in reopened.statements_by("medinsky", 5)] == [
        "“No deal,” Medinsky said."
    ]
    assert reopened.statements_by("Medin", 5) == []  # whole words only
    reopened.close()
