"""One ledger: steps book drops and errors with the step's name, datatrove's own dropped_<reason> counters are
not a second ledger, and an errored document's first traceback per reason is logged."""

from __future__ import annotations

import json
from collections import deque

from datatrove.data import Document
from datatrove.utils.logging import logger
from datatrove.utils.stats import PipelineStats

from monsoon.accounting import merge_stats
from monsoon.stages.minhash import MinhashSignature
from monsoon.stages.near_duplicates import NearDuplicateFilter, write_cluster_file


def _stats_file(step) -> list[dict]:
    """The step's stats as a rank's stats file holds them."""
    return json.loads(PipelineStats([step]).to_json())


def _thai(doc_id: str) -> Document:
    return Document(text="ข่าว", id=doc_id, metadata={"language": "tha_Thai", "token_count": 7})


def test_a_drop_is_booked_once_with_its_step(tmp_path):
    rows = [("a", "a", 2, None, None, None), ("b", "a", 2, "near_duplicate", "a", None)]
    write_cluster_file(str(tmp_path / "clusters"), str(tmp_path / "table"), "tha_Thai", 3, rows)
    step = NearDuplicateFilter(str(tmp_path / "clusters"))
    kept = [doc.id for doc in step([_thai("a"), _thai("b"), _thai("c")], rank=3)]

    assert kept == ["a", "c"]
    stats = _stats_file(step)
    assert not [key for key in stats[0]["stats"] if key.startswith("dropped")]  # datatrove's own counters
    accounting = merge_stats([stats])
    thai = accounting["languages"]["tha_Thai"]
    assert thai["dropped"] == {"near_duplicate": 1} and thai["dropped_tokens"] == {"near_duplicate": 7}
    assert thai["steps"] == {"near_duplicate": "NearDuplicateFilter"}


def test_an_errored_documents_first_traceback_per_reason_is_logged():
    messages: list[str] = []
    sink = logger.add(lambda message: messages.append(str(message)), level="WARNING")
    try:
        step = MinhashSignature()
        unknown = [Document(text="x", id=f"d{i}", metadata={"language": "xxx_Xxxx"}) for i in range(3)]
        deque(step(unknown), maxlen=0)
    finally:
        logger.remove(sink)

    accounting = merge_stats([_stats_file(step)])
    assert accounting["languages"]["xxx_Xxxx"]["errored"] == {"minhash_failed": 3}
    assert accounting["total"]["steps"] == {"minhash_failed": "MinhashSignature"}
    assert len(messages) == 1
    assert "MinhashSignature: document d0 errored (minhash_failed)" in messages[0]
    assert "Traceback" in messages[0] and "no language file for 'xxx_Xxxx'" in messages[0]
