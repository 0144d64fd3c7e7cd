"""Progress that moves during a long task: the documents stage's rank writes its records read and documents kept
so far to `<output>/_work/progress/<rank>.json` every few seconds (a thread; the last write when the rank ends), so
`monsoon run` shows records as they go on both engines, not only finished tasks (one ~1 GB WARC is one task of
~17 minutes on one core).
"""

from __future__ import annotations

import json
import threading

from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import read_so_far

EVERY_SECONDS = 3.0


def progress_file(rank: int) -> str:
    return f"{rank:05d}.json"


def read_progress(folder: DataFolderLike) -> tuple[int, int]:
    """(records read, documents kept) over every rank's progress file in `folder` (0, 0 before any)."""
    folder = get_datafolder(folder)
    read = kept = 0
    for path in folder.list_files(glob_pattern="*.json"):
        try:
            counts = json.loads(folder.read_text(path))
        except (OSError, ValueError):  # being written right now: the next look sees it
            continue
        read, kept = read + counts["read"], kept + counts["kept"]
    return read, kept


class Progress(PipelineStep):
    """Passes the documents through, counting them (place it after the stage's last filter); reports `reader`'s
    records read beside them."""

    name = "⏱ Progress"

    def __init__(self, folder: DataFolderLike, reader: PipelineStep, every: float = EVERY_SECONDS):
        super().__init__()
        self.folder, self.reader, self.every = folder, reader, every

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        folder = get_datafolder(self.folder)
        kept = 0
        stop = threading.Event()

        def write() -> None:
            with folder.open(progress_file(rank), "w") as file:
                file.write(json.dumps({"read": read_so_far(self.reader), "kept": kept}))

        def report() -> None:
            while not stop.wait(self.every):
                write()

        reporter = threading.Thread(target=report, daemon=True, name="monsoon-progress")
        reporter.start()
        try:
            for doc in data:
                kept += 1
                yield doc
        finally:
            stop.set()
            reporter.join()
        write()
