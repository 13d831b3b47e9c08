"""Stores written before the catalogue existed are brought into it once, on first open.

Such a store kept its registry as a Chroma collection (`NAMESPACE-briefings`) and marked rows
with the briefing's content `version`. Each registered briefing's rows are given the token
and date the store now filters on (the old version serves as the token: the row ids already
end in it), and its sentences go into the catalogue. Briefings are brought over one at a
time and the old registry is dropped last, so an interrupted upgrade resumes where it stopped.
"""

from __future__ import annotations

import logging
from typing import Any

from retrieval.index.catalogue import Catalogue, Entry, day_number
from retrieval.types import BriefingRecord, Sentence, parse_day

log = logging.getLogger(__name__)


def _record(rid: str, meta: dict[str, Any]) -> BriefingRecord:
    day = parse_day(str(meta.get("published") or ""))
    return BriefingRecord(
        id=rid,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        version=str(meta.get("version", "")),
        sentence_count=int(meta.get("sentence_count", 0)),
        url=str(meta.get("url") or "") or None,
        published=day,
        added_at=str(meta.get("added_at", "")),
    )


def upgrade(client: Any, sentences: Any, chunks: Any, catalogue: Catalogue, namespace: str) -> int:
    """Bring a pre-catalogue store's briefings into the catalogue; returns how many."""
    name = f"{namespace}-briefings"
    if name not in {c if isinstance(c, str) else c.name for c in client.list_collections()}:
        return 0
    registry = client.get_collection(name)
    got = registry.get(include=["metadatas"])
    brought = 0
    for rid, meta in zip(got["ids"], got["metadatas"], strict=True):
        record = _record(rid, meta)
        if catalogue.record(rid) is not None:
            continue  # brought over before an interruption
        where = {"$and": [{"briefing_id": rid}, {"version": record.version}]}
        rows = sentences.get(where=where, include=["documents", "metadatas"])
        found = sorted(
            zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True),
            key=lambda row: int(row[2]["index"]),
        )
        if not found:
            continue
        extra = {"token": record.version, "day": day_number(record.published)}
        sentences.update(ids=[r[0] for r in found], metadatas=[{**r[2], **extra} for r in found])
        chunk_rows = chunks.get(where=where, include=["metadatas"])
        if chunk_rows["ids"]:
            chunks.update(
                ids=chunk_rows["ids"], metadatas=[{**m, **extra} for m in chunk_rows["metadatas"]]
            )
        entry = Entry(
            record,
            record.version,
            tuple(
                Sentence(f"{rid}:s{m['index']}", rid, int(m["index"]), text, m["start"], m["end"])
                for _, text, m in found
            ),
            tuple(
                tuple(int(n) for n in str(m.get("chunks", "")).split(",") if n) for _, _, m in found
            ),
        )
        catalogue.begin([(rid, record.version)])
        catalogue.commit([entry])
        brought += 1
    client.delete_collection(name)
    log.warning("brought %d briefings of an older store into the catalogue", brought)
    return brought
