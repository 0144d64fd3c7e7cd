"""Every path of a run, built once from its output folder, and the job fingerprint that decides whether a run in
that folder resumes.

Paths are local paths or fsspec URIs (file://, s3://, hdfs://, ...), opened through datatrove's DataFolder, so a
local folder and a remote one behave the same in both engines:

    OUTPUT/<language>/<rank>.parquet                      the corpus
    OUTPUT/accounting.json                                read = kept + dropped + errored
    OUTPUT/_dropped/<language>/<stage>-<rank>.parquet     with keep_dropped: every dropped document and its reason
    OUTPUT/_index/<language>/<rank>.parquet               the dedup index: later runs' --dedup-against (dedup/index.py)
    OUTPUT/_dedup/<language>/<rank>.parquet               the documents dedup dropped: id, reason, duplicate_of, ...
    OUTPUT/_work/job.json                                 the job fingerprint (inputs and every output-changing setting)
    OUTPUT/_work/intermediate/<language>/<rank>.parquet   the documents stage's output, with MinHash bands
    OUTPUT/_work/clusters/<language>/<rank>.parquet       near-duplicate clusters of that rank's documents
    OUTPUT/_work/logs/<stage>/                            datatrove's per-rank protocol: completions/, stats/, logs/
    OUTPUT/_work/stage_seconds.json                       wall time of each stage the last invocation ran
    OUTPUT/_work/logs/console.log                         the workers' console output (local engine)
    OUTPUT/_work/failed_inputs.jsonl                      inputs a read failed on for good (path, range, cause,
                                                          error, attempts); per documents rank in failed_inputs/
    OUTPUT/_work/attempts/<stage>/<rank>-<attempt>/       Spark task attempts, moved into place when finished
    OUTPUT/_work/checkpoints/                             Spark checkpoints
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
from dataclasses import dataclass
from typing import Any

from datatrove.io import DataFolder, get_datafolder

from monsoon.config import RunConfig
from monsoon.crawl.select import is_index
from monsoon.languages import LANGUAGES_DIR
from monsoon.stages.decontamination import benchmark_digests
from monsoon.stages.quality_score import model_digests

# settings that decide where and how fast a job runs, not what it writes
_NOT_OUTPUT_CHANGING = ("input", "output", "workers", "tasks", "fetch")


def join(*parts: str) -> str:
    return "/".join(part.rstrip("/") for part in parts if part)


@dataclass(frozen=True)
class RunLayout:
    """The folders and files of one run under `output` (a local path or a URI)."""

    output: str

    @classmethod
    def of(cls, config: RunConfig) -> RunLayout:
        return cls(config.output.rstrip("/"))

    def uri(self, *parts: str) -> str:
        return join(self.output, *parts)

    def folder(self, *parts: str) -> DataFolder:
        return get_datafolder(self.uri(*parts))

    @property
    def root(self) -> DataFolder:
        return self.folder()

    @property
    def dropped(self) -> str:
        return self.uri("_dropped")

    @property
    def work(self) -> str:
        return self.uri("_work")

    @property
    def intermediate(self) -> str:
        return self.uri("_work", "intermediate")

    @property
    def clusters(self) -> str:
        return self.uri("_work", "clusters")

    @property
    def dedup_table(self) -> str:
        return self.uri("_dedup")

    @property
    def logs(self) -> str:
        return self.uri("_work", "logs")

    @property
    def progress(self) -> str:
        """Each documents rank's records read and kept so far (stages/progress.py), in the run's own folder."""
        return self.uri("_work", "progress")

    def stage_logs(self, stage: str) -> str:
        """datatrove's logging dir of one stage: completions/, stats/NNNNN.json, logs/task_NNNNN.log."""
        return self.uri("_work", "logs", stage)

    @staticmethod
    def attempt(stage: str, rank: int, attempt: int) -> str:
        """A Spark task attempt's folder, relative to the output."""
        return join("_work", "attempts", stage, f"{rank:05d}-{attempt}")

    def incomplete_ranks(self, stage: str, world_size: int) -> list[int]:
        """The ranks of a stage without datatrove's completion marker."""
        folder = self.folder("_work", "logs", stage)
        done = set(folder.list_files("completions")) if folder.exists("completions") else set()
        return [rank for rank in range(world_size) if f"completions/{rank:05d}" not in done]

    @property
    def is_local(self) -> bool:
        return self.root.is_local()

    def local_path(self, *parts: str) -> str:
        """The local file system path of a local layout's file (for the console log, which a process writes
        through its file descriptor)."""
        return self.root.resolve_paths(join(*parts))

    def has_files(self, under: str, pattern: str = "*/*.parquet") -> bool:
        folder = self.root
        relative = under[len(self.output) :].lstrip("/")
        return folder.exists(relative) and bool(folder.glob(join(relative, pattern)))

    def write_accounting(self, accounting: dict) -> None:
        with self.root.open("accounting.json", "w") as file:
            file.write(json.dumps(accounting, indent=2, sort_keys=True) + "\n")

    def write_stage_seconds(self, seconds: dict[str, float]) -> None:
        """The wall time of each stage this invocation ran (on Spark, also its session's start-up); a resumed run
        times only what it ran."""
        with self.root.open("_work/stage_seconds.json", "w") as file:
            file.write(json.dumps({name: round(value, 2) for name, value in seconds.items()}, indent=2) + "\n")

    def stage_seconds(self) -> dict[str, float]:
        folder = self.root
        if not folder.exists("_work/stage_seconds.json"):
            return {}
        with folder.open("_work/stage_seconds.json") as file:
            return json.load(file)

    def write_rank_failures(self, rank: int, records: list[dict]) -> int:
        """A documents rank's failed inputs (`_work/failed_inputs/<rank>.jsonl`, removed when none); their number."""
        name = f"_work/failed_inputs/{rank:05d}.jsonl"
        if records:
            with self.root.open(name, "w") as file:
                file.writelines(json.dumps(record, sort_keys=True) + "\n" for record in records)
        else:
            self.remove(name)
        return len(records)

    def failed_inputs(self) -> list[dict]:
        """Every documents rank's failed inputs, by rank."""
        folder = self.root
        if not folder.exists("_work/failed_inputs"):
            return []
        names = sorted(folder.list_files("_work/failed_inputs", glob_pattern="*.jsonl"))
        return [json.loads(line) for name in names for line in folder.read_text(name).splitlines() if line]

    def write_failed_inputs(self) -> int:
        """`_work/failed_inputs.jsonl`: the run's failed inputs in one list (removed when none); their number."""
        records = self.failed_inputs()
        if records:
            with self.root.open("_work/failed_inputs.jsonl", "w") as file:
                file.writelines(json.dumps(record, sort_keys=True) + "\n" for record in records)
        else:
            self.remove("_work/failed_inputs.jsonl")
        return len(records)

    def remove(self, *names: str) -> None:
        """Remove files or folders (relative to the output), those that exist."""
        folder = self.root
        for name in names:
            if folder.exists(name):
                folder.rm(name, recursive=True)


def input_files(config: RunConfig) -> tuple[DataFolder, list[str]]:
    """The input folder and the WARC files under it the job reads (relative paths, sorted), as the reader lists
    them; an error naming the input when there are none."""
    from monsoon.crawl.select import select
    from monsoon.pipelines.plan import warc_reader

    if is_index(config.input):  # the selection's WARC files (made once, reused by the same selection settings)
        select(config)
    reader = warc_reader(config)
    files = reader.data_folder.list_files(glob_pattern=reader.glob_pattern, recursive=reader.recursive)
    if not files:
        raise FileNotFoundError(f"no WARC files match {config.input}")
    return reader.data_folder, files


def _flat(settings: dict, prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def job_fingerprint(config: RunConfig, inputs: list[str], engine: str, ranks: int) -> dict[str, Any]:
    """Everything that decides what a run writes, as flat `key: value` pairs: the input files, every config value
    but those that only place or pace the job, the contents of the language files (thresholds, lexicons), of the
    decontamination benchmark files and of the quality models, the engine and its number of ranks (input files are
    split across ranks). The LID model and tokenizer are named by the config (`lid.model`, `tokenizer`)."""
    settings = {k: v for k, v in dataclasses.asdict(config).items() if k not in _NOT_OUTPUT_CHANGING}
    if not is_index(config.input):  # the index settings apply to an index input only: WARC jobs keep their keys
        settings.pop("index")
    return {
        "input": config.input,
        "input files": inputs,
        "engine": engine,
        "tasks": ranks,
        **_flat(settings),
        **{f"languages/{code}.yaml": _sha256(LANGUAGES_DIR / f"{code}.yaml") for code in config.languages},
        **benchmark_digests(config.decontamination),
        **model_digests(config.quality_models),
    }


class JobChanged(RuntimeError):
    """The output folder holds an unfinished or finished run of another job."""


def _describe(key: str, before: Any, after: Any) -> str:
    if key == "input files":
        return f"input files ({len(before or [])} -> {len(after)} files)"
    if key.startswith("languages/"):
        return f"{key} (its contents)"
    return f"{key} ({before!r} -> {after!r})"


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def _entries(folder) -> list[str]:
    """The names in a folder (none when it does not exist)."""
    try:
        return sorted(posixpath.basename(str(name).rstrip("/")) for name in folder.ls("", detail=False))
    except FileNotFoundError:
        return []


def refuse_foreign_output(layout: RunLayout) -> None:
    """Raise JobChanged when the output folder holds files but no monsoon run: the first check of a run, before
    anything (an index-first selection, OUTPUT/_selection/) is written there, so nothing in it is touched."""
    if layout.root.exists("_work/job.json"):
        return
    if found := [name for name in _entries(layout.root) if name != "_selection"]:  # a selection made before job.json
        raise JobChanged(
            f"{layout.output} is not empty and holds no monsoon run ({', '.join(found[:3])}"
            f"{', ...' if len(found) > 3 else ''}): nothing there was touched. Choose an empty or new --output."
        )


def start_or_resume(layout: RunLayout, fingerprint: dict[str, Any], restart: bool) -> bool:
    """Make the output folder ready for the job: True when it resumes an earlier run of the same job (finished
    ranks are skipped), False when it starts afresh (no earlier run, or `restart`: the earlier run's files are
    removed). A run of another job there raises JobChanged naming what changed."""
    folder = layout.root
    job_file = "_work/job.json"
    earlier = json.loads(folder.read_text(job_file)) if folder.exists(job_file) else None
    if earlier == fingerprint and not restart:
        return True
    if earlier is not None and not restart:
        changed = changed_keys(earlier, fingerprint)
        changes = ", ".join(_describe(key, earlier.get(key), fingerprint.get(key)) for key in changed)
        raise JobChanged(
            f"{layout.output} holds a run of another job: {changes} changed. Rerun with --restart to start over"
            " (the earlier run's files there are removed), or choose another --output."
        )
    languages = {*(earlier or {}).get("languages", []), *fingerprint["languages"]}
    layout.remove("_work", "_dropped", "_index", "_dedup", "accounting.json", *sorted(languages))
    with folder.open(job_file, "w") as file:
        file.write(json.dumps(fingerprint, indent=1, sort_keys=True) + "\n")
    return False
