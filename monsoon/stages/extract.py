"""Main-text extraction with trafilatura, in datatrove's sandbox process (killed on timeout) with a memory cap,
so pathological HTML can neither hang nor exhaust a worker. Every failure is counted with its reason."""

from __future__ import annotations

import resource
from functools import cache

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.extractors.base import ExtractorSandbox
from datatrove.pipeline.extractors.trafilatura import Trafilatura

from monsoon.accounting import count_dropped, count_errored
from monsoon.processes import die_with_parent


def _virtual_memory_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


class _MemoryCappedSandbox(ExtractorSandbox):
    """datatrove's extractor sandbox whose child process may grow by at most `max_memory` bytes."""

    def __init__(self, timeout: float, max_memory: int):
        super().__init__(timeout=timeout, warmup_text="")
        self.max_memory = max_memory

    def _worker(self, conn, extract_fn):
        die_with_parent()
        limit = _virtual_memory_bytes() + self.max_memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        super()._worker(conn, extract_fn)


@cache
def _load_trafilatura() -> None:
    """Import trafilatura and run it once in this worker process, so that each task's sandbox, a fork of it, starts
    with trafilatura loaded and warm: once per worker instead of once per task (0.1-0.2 s a task)."""
    from trafilatura import extract

    extract("<html><body><p>A page to warm the extractor up.</p></body></html>")


class Extract(Trafilatura):
    """HTML -> main text. Plain-text documents (WET conversion records) pass through unchanged."""

    name = "⛏ Trafilatura extract"

    def __init__(
        self, timeout: float = 5.0, favour_precision: bool = True, deduplicate: bool = False, max_memory: int = 1 << 30
    ):
        super().__init__(favour_precision=favour_precision, timeout=timeout, deduplicate=deduplicate)
        self.max_memory = max_memory

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        _load_trafilatura()
        with _MemoryCappedSandbox(self.timeout, self.max_memory) as sandbox:
            for doc in data:
                if doc.metadata.get("content_kind") == "text":
                    yield doc
                    continue
                self.stat_update("total")
                with self.track_time():
                    try:
                        text = sandbox.process_document(doc.text, self.extract)
                    except TimeoutError:
                        count_errored(self, doc, "extract_timeout")
                        continue
                    except EOFError:  # the sandbox died: out of memory, or a crash in a C extension
                        count_errored(self, doc, "extract_crashed")
                        continue
                    except Exception:
                        count_errored(self, doc, "extract_failed")
                        continue
                if not text or not text.strip():
                    count_dropped(self, doc, "no_main_text")
                    continue
                doc.text = text
                yield doc
