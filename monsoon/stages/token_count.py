"""metadata["token_count"]: the configured tokenizer's count for the document text."""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import count_errored
from monsoon.tokens import LLAMA3, load_token_counter


class TokenCount(PipelineStep):
    name = "🔢 Token count"

    def __init__(self, tokenizer: str = LLAMA3):
        super().__init__()
        self.tokenizer = tokenizer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        counter = load_token_counter(self.tokenizer)
        for doc in data:
            with self.track_time():
                try:
                    doc.metadata["token_count"] = counter.count(doc.text)
                except Exception:
                    count_errored(self, doc, "token_count_failed")
                    continue
            self.stat_update("tokens", value=doc.metadata["token_count"])
            yield doc


def set_text(step: PipelineStep, doc: Document, text: str, tokenizer: str) -> bool:
    """Give a document the text a step made of it (trimmed, masked, lines removed) and that text's token count, so
    `token_count` is always the count of the text written; False, booked as errored, when the tokenizer fails."""
    doc.text = text
    try:
        doc.metadata["token_count"] = load_token_counter(tokenizer).count(text)
    except Exception:
        count_errored(step, doc, "token_count_failed")
        return False
    return True
