"""The eval metrics on small hand-made cases with known answers."""

from __future__ import annotations

import pytest

from bot.evaluation.metrics import Outcome, contains_answer, normalise, percentile, score


def outcome(
    cited,
    *,
    answerable=True,
    answers=("Denver Broncos",),
    gold=("d1",),
    abstained=False,
    seconds=0.1,
) -> Outcome:
    return Outcome(answerable, tuple(answers), tuple(gold), abstained, tuple(cited), seconds)


def test_normalise_follows_squad() -> None:
    assert normalise("The  Denver Broncos, an NFL team!") == "denver broncos nfl team"
    assert normalise("A") == ""


def test_normalise_drops_unicode_punctuation_and_a_possessive_s_as_the_spec_says() -> None:
    """../shared/eval/README.md: SQuAD's rule, plus Unicode punctuation and a possessive 's."""
    assert normalise("The “Broncos’s” win!") == "broncos win"
    assert normalise("Kyiv’s ‘plan’ — «final»") == "kyiv plan final"
    assert normalise("It's the U.S. team's plan") == "it us team plan"
    assert contains_answer("Google’s results were out.", ["Google"])
    assert contains_answer("“We will not give up,” Zelensky’s aide said.", ["Zelensky"])
    assert not contains_answer("In 18720 the city grew.", ["1872"])


def test_answer_must_match_whole_words() -> None:
    assert contains_answer("It was the Denver Broncos.", ["denver broncos"])
    assert not contains_answer("Denverites cheered.", ["Denver"])
    assert not contains_answer("anything", [""])
    assert contains_answer("Won 24–10 in 2016.", ["24–10"])


def test_hit_gold_doc_and_abstention_rates() -> None:
    outcomes = [
        outcome([("d1", "The Denver Broncos won."), ("d2", "x")]),  # hit@1
        outcome([("d2", "Nothing here."), ("d1", "Denver Broncos again.")]),  # hit@3 only
        outcome([("d3", "a"), ("d3", "b"), ("d3", "c"), ("d1", "Denver Broncos")]),  # miss: 4th
        outcome([], abstained=True),  # wrongly abstained
        outcome([], answerable=False, answers=(), gold=(), abstained=True),  # correct abstain
        outcome([("d9", "noise")], answerable=False, answers=(), gold=()),  # should have abstained
    ]
    s = score(outcomes)
    assert s.questions == 6
    assert s.hit1 == pytest.approx(1 / 4)
    assert s.hit3 == pytest.approx(2 / 4)
    assert s.gold_doc3 == pytest.approx(2 / 4)
    assert s.abstain_wrong == pytest.approx(1 / 4)
    assert s.abstain_correct == pytest.approx(1 / 2)


def test_cited_chars_is_the_median_total_of_answers_that_cite() -> None:
    s = score(
        [
            outcome([("d", "abcd"), ("d", "ef")]),
            outcome([("d", "abcdefghij")]),
            outcome([("d", "a")]),
            outcome([], abstained=True),
        ]
    )
    assert s.cited_chars == 6


def test_rates_without_questions_are_none() -> None:
    s = score([outcome([("d1", "Denver Broncos")])])
    assert s.abstain_correct is None


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10
    assert percentile(values, 95) == 19
    assert percentile([], 95) == 0.0


def test_abstention_curve_counts_below_each_threshold() -> None:
    from bot.evaluation.metrics import abstention_curve

    outcomes = [
        Outcome(True, ("x",), ("d",), False, (("d", "x"),), 0.1, relevance=1.2),
        Outcome(True, ("x",), ("d",), False, (("d", "x"),), 0.1, relevance=0.9),
        Outcome(False, (), (), True, (), 0.1, relevance=0.5),
        Outcome(False, (), (), False, (("d", "y"),), 0.1, relevance=1.0),
    ]
    assert abstention_curve(outcomes, [0.8, 0.95, 1.5]) == [
        (0.8, 0.5, 0.0),
        (0.95, 0.5, 0.5),
        (1.5, 1.0, 1.0),
    ]
