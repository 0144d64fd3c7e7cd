"""The persistent dedup index: what later runs deduplicate against.

Every run with dedup on writes, for each document that reached dedup (kept or dropped there),

    OUTPUT/_index/<language>/<rank>.parquet   id, source, dump, text_hash, minhash_bands   (one part per write rank)
    OUTPUT/_index/<language>/_signatures.json what makes its signatures comparable (signature_settings)

Parts are only ever added next to each other (a run writes its own; another index folder is another DIR), never
rewritten in place. `--dedup-against DIR` takes a run's output (DIR/_index) or an index folder itself; a folder
whose settings differ from this run's (another shingling, bands, rows, seed, hash scheme or normalisation) is
refused: its hashes would never match this run's, so nothing would be found and nothing said.

The lookup streams the parts in record batches and keeps only what matches a key of this run, so its memory is
this run's keys, whatever the index's size.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
from datatrove.io import DataFolder, get_datafolder

from monsoon import storage
from monsoon.dedup.signatures import EXACT_SCHEME, SCHEME
from monsoon.languages import get_language
from monsoon.sorted_keys import in_sorted

INDEX_DIR = "_index"
META_FILE = "_signatures.json"  # "_": parquet readers of the folder (pyarrow, Spark) skip it
INDEX_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("dump", pa.string()),
        ("text_hash", pa.int64()),
        ("minhash_bands", pa.list_(pa.int64())),
    ]
)
_BATCH_ROWS = 8_192  # a batch's temporaries (its bands, searched) stay ~10 MB

Earlier = tuple[str, str]  # (id of the earlier document, the DIR of --dedup-against it was found in)


class IncompatibleIndex(ValueError):
    """An index folder whose signatures cannot be compared with this run's."""


def signature_settings(language: str, seed: int) -> dict:
    """Everything that decides a document's text_hash and band hashes in `language` (written beside the parts)."""
    spec = get_language(language)
    return {
        "language": language,
        "shingle": spec.dedup.shingle,
        "segmenter": spec.dedup_segmenter,
        "ngram": spec.dedup.ngram,
        "bands": spec.dedup.bands,
        "rows": spec.dedup.rows,
        "seed": seed,
        "minhash": f"datasketch {SCHEME} over xxh32",
        "band_hash": "blake2b-8 of the band's uint64 values, >> 1",
        "exact": EXACT_SCHEME,
    }


def write_signature_settings(folder: DataFolder, language: str, seed: int, under: str = "") -> None:
    """`<under>/<language>/_signatures.json` in `folder`: an index folder itself, or a run's output (under _index)."""
    with folder.open(posixpath.join(under, language, META_FILE), "w") as file:
        file.write(json.dumps(signature_settings(language, seed), indent=1, sort_keys=True) + "\n")


def index_root(path: str) -> str:
    """The index folder of a --dedup-against DIR: DIR/_index for a run's output, else DIR itself."""
    folder = get_datafolder(path)
    if folder.exists(INDEX_DIR):
        if folder.exists("_work/job.json") and not folder.exists("accounting.json"):  # its index may lack parts
            raise FileNotFoundError(f"--dedup-against {path}: that run has not finished (no accounting.json)")
        return f"{path.rstrip('/')}/{INDEX_DIR}"
    if folder.exists("") and folder.glob(f"*/{META_FILE}"):
        return path.rstrip("/")
    raise FileNotFoundError(
        f"--dedup-against {path}: neither a monsoon run's output (no {INDEX_DIR}/ in it) nor an index folder"
        f" (no <language>/{META_FILE} in it)"
    )


def earlier_parts(against: Iterable[str], language: str, seed: int) -> list[tuple[str, str]]:
    """(DIR, part URI) of every index part of `language` under the --dedup-against folders, each folder's settings
    checked against this run's (IncompatibleIndex names the difference). A folder without the language adds none."""
    expected = signature_settings(language, seed)
    parts = []
    for run in against:
        root = index_root(run)
        folder = get_datafolder(root)
        if not folder.exists(f"{language}/{META_FILE}"):
            continue
        found = json.loads(folder.read_text(f"{language}/{META_FILE}"))
        differ = sorted(key for key in expected.keys() | found.keys() if expected.get(key) != found.get(key))
        if differ:
            changes = ", ".join(f"{key} {found.get(key)!r} (this run: {expected.get(key)!r})" for key in differ)
            raise IncompatibleIndex(
                f"--dedup-against {run}: its {language} index was built with other signatures: {changes}. Their"
                " hashes cannot match this run's; rebuild that index with this run's language file and dedup.seed."
            )
        parts += [(run, f"{root}/{path}") for path in folder.list_files(glob_pattern=f"{language}/*.parquet")]
    return parts


def _sorted_keys(values: Iterable[int]) -> np.ndarray:
    return np.array(sorted(set(values)), dtype=np.int64)


def _present(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions of `values` found in the sorted `keys` (a binary search: no set rebuilt per batch)."""
    return np.flatnonzero(in_sorted(keys, values))


def _keep_smallest(found: dict, key, earlier: Earlier) -> None:
    if key not in found or earlier < found[key]:
        found[key] = earlier


def earlier_matches(
    parts: list[tuple[str, str]], text_hashes: Iterable[int], buckets: Iterable[tuple[int, int]]
) -> tuple[dict[int, Earlier], dict[tuple[int, int], Earlier]]:
    """The smallest earlier (id, DIR) for each of this run's text hashes and (band, hash) buckets that an index
    part holds too; read batch by batch, so memory holds this run's keys and the matches, not the index."""
    if not parts:  # the usual run, against nothing: no key sets to build
        return {}, {}
    hashes = _sorted_keys(text_hashes)
    buckets = set(buckets)
    band_values = _sorted_keys(value for _, value in buckets)
    exact: dict[int, Earlier] = {}
    near: dict[tuple[int, int], Earlier] = {}
    for run, uri in parts:
        with storage.parquet_file(uri) as file:
            batches = file.iter_batches(_BATCH_ROWS, columns=["id", "text_hash", "minhash_bands"])
            for batch in batches:
                ids = batch.column("id")
                text_hash = batch.column("text_hash").to_numpy(zero_copy_only=False)
                for row in _present(text_hash, hashes):
                    _keep_smallest(exact, int(text_hash[row]), (ids[row].as_py(), run))
                lists = batch.column("minhash_bands")
                offsets = lists.offsets.to_numpy()
                values = lists.flatten().to_numpy(zero_copy_only=False)
                hits = _present(values, band_values)
                rows = np.searchsorted(offsets, offsets[0] + hits, side="right") - 1
                for hit, row in zip(hits, rows, strict=True):
                    key = (int(offsets[0] + hit - offsets[row]), int(values[hit]))
                    if key in buckets:
                        _keep_smallest(near, key, (ids[row].as_py(), run))
    return exact, near


def check_against(against: list[str], output: str, languages: list[str], seed: int, dedup: bool) -> None:
    """Refuse, before anything runs, a --dedup-against that cannot work: dedup off, this run's own output, a folder
    holding no index, or an index of other signatures (FileNotFoundError, IncompatibleIndex)."""
    if not against:
        return
    if not dedup:
        raise IncompatibleIndex("--dedup-against needs dedup (dedup.enabled is false)")
    for run in against:
        if run.rstrip("/") == output.rstrip("/"):
            raise IncompatibleIndex(f"--dedup-against {run} is this run's own output: give an earlier run's")
    for language in languages:
        earlier_parts(against, language, seed)
