"""Read a selection's WARC records as byte ranges: per WARC file, its selected records (from the selection's parquet
part), coalesced into requests (crawl/ranges.py), each record parsed by the full reader's own code
(WarcDocumentReader.document_at), so a document has the same id, text and metadata either way. Where the file's
requested bytes exceed `whole_file_share` of it, the file is read whole instead, in `max_request` blocks from its
first selected record to its last (fewer requests, each paying the store's latency once)."""

from __future__ import annotations

import io
import zlib

import pyarrow.compute as pc
import pyarrow.parquet as pq
from datatrove.data import DocumentsPipeline
from fsspec.core import url_to_fs

from monsoon import fetch
from monsoon.config import IndexConfig
from monsoon.crawl.ranges import coalesce, range_settings
from monsoon.crawl.select import FILE, LENGTH, OFFSET, SELECTION_DIR
from monsoon.pipelines.inputs import ListedFolder
from monsoon.stages.warc_reader import WarcDocumentReader
from monsoon.storage import join


def selected_records(output: str, filepath: str, buckets: int) -> list[tuple[int, int]]:
    """(offset, length) of the selected records of one WARC file, by offset: from the one part holding its bucket."""
    part = join(output.rstrip("/"), SELECTION_DIR, f"part-{zlib.crc32(filepath.encode()) % buckets:05d}.parquet")
    fs, path = url_to_fs(part)
    table = pq.read_table(path, filesystem=fs, columns=[FILE, OFFSET, LENGTH], filters=pc.field(FILE) == filepath)
    return list(zip(table[OFFSET].to_pylist(), table[LENGTH].to_pylist(), strict=True))


class WarcRangeReader(WarcDocumentReader):
    """The documents of the selected records of each WARC file in `files` (the selection's WARC files, relative to the
    bucket `prefix`). Counts `range_requests`, `range_bytes` and `whole_files` in its stats."""

    name = "🕷 WARC range reader"

    def __init__(self, prefix: str, files: list[str], output: str, index: IndexConfig, **reader_options):
        super().__init__(ListedFolder(prefix, files), **reader_options)
        self.prefix = prefix
        self.output = output
        self.index = index

    def read_file(self, filepath: str) -> DocumentsPipeline:
        dump = self.dump_of(filepath)
        records = selected_records(self.output, filepath, self.index.sort_buckets)
        requests = coalesce(records, self.index.gap, self.index.max_request)
        uri = join(self.prefix, filepath)
        # through fetch.py: each range one request of its own size, retried; a range that fails for good ends the
        # file there and lists it as a failed input (its records not read are read by the rerun)
        with fetch.input_stream(self, uri, range_settings(self.fetch_settings)) as stream:
            requested = sum(length for _, length in requests)
            if requests and requested > self.index.whole_file_share * stream.seek(0, io.SEEK_END):
                # cheaper read whole: blocks of max_request bytes from the first selected record to the last, gaps too
                self.stat_update("whole_files")
                requests = coalesce(records, records[-1][0] + records[-1][1], self.index.max_request)
            position = 0
            for start, size in requests:
                self.stat_update("range_requests")
                stream.seek(start)
                chunk = stream.read(size)
                self.stat_update("range_bytes", value=len(chunk))
                if len(chunk) < size and fetch.failure_of(stream) is not None:
                    return
                while position < len(records) and records[position][0] < start + size:  # the request's records
                    offset, length = records[position]
                    position += 1
                    record = io.BytesIO(chunk[offset - start : offset - start + length])
                    document = self.document_at(record, filepath, offset, dump)
                    if document is not None:
                        yield document
