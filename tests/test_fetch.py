"""Remote reads through monsoon/fetch.py against a real HTTP server on 127.0.0.1 that injects faults
(tests/fault_server.py): each transient fault is retried and counted, a permanent one fails with its attempts, and
`monsoon run` over a warc.paths listing served by it gives the fault-free corpus (issue 21's two failures: a reset
after 40 kB, a 503 SlowDown), or with a permanent fault exits 3, lists the input and recovers on a rerun."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, run_cli
from fault_server import Fault, FaultServer

from monsoon import fetch
from monsoon.audit.report import write_report
from monsoon.config import FetchConfig
from monsoon.pipelines.inputs import ListedFolder
from monsoon.pipelines.plan import pipe
from monsoon.stages.warc_reader import WarcDocumentReader

SAMPLE_WARCS = sorted((REPO / "sample" / "warc").glob("*.warc.gz"))
CRAWL = "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc"
# tiny backoff and timeouts, small blocks (a ~100 kB file is several range requests, so faults land mid-file)
QUICK = FetchConfig(
    attempts=4,
    backoff_base=0.001,
    backoff_cap=0.01,
    read_timeout=2,  # under a loaded machine a 0.5 s timeout took a reset's place
    connect_timeout=1,
    block_size=16 << 10,
    requests_per_second=0,
)
# the runs' settings: QUICK's, but 10 tries (a run's file may answer every transient fault in turn)
QUICK_YAML = """
fetch:
  attempts: 10
  backoff_base: 0.001
  backoff_cap: 0.01
  read_timeout: 2
  connect_timeout: 1
  requests_per_second: 0
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict:
    """The sample WARCs under Common Crawl's key layout, behind a fault server."""
    root = tmp_path_factory.mktemp("served")
    (root / CRAWL).mkdir(parents=True)
    for path in SAMPLE_WARCS:
        shutil.copy(path, root / CRAWL / path.name)
    with FaultServer(root) as server:
        yield {"root": root, "server": server}


@pytest.fixture
def server(served) -> FaultServer:
    served["server"].clear()
    return served["server"]


def _key(index: int = 0) -> str:
    return f"{CRAWL}/{SAMPLE_WARCS[index].name}"


# --- fetch, unit layer ---


TRANSIENT = [
    (Fault("slowdown"), "slowdown"),
    (Fault("rate_limited", seconds=0), "rate_limited"),
    (Fault("forbidden"), "forbidden"),
    (Fault("server_error"), "server_error"),
    (Fault("reset", after=5000), "reset"),
    (Fault("stall", after=100, seconds=5), "timeout"),
    (Fault("short", after=100), "short_body"),
    (Fault("error_page"), "error_document"),
]


@pytest.mark.parametrize(("fault", "cause"), TRANSIENT, ids=[cause for _, cause in TRANSIENT])
def test_a_transient_fault_is_retried_and_counted(server, fault, cause):
    server.inject(_key(), fault, times=2)
    started = time.monotonic()
    with fetch.RemoteFile(f"{server.url}/{_key()}", QUICK) as remote:
        assert remote.read() == SAMPLE_WARCS[0].read_bytes()
    assert remote.stats.retries == {cause: 2}
    assert remote.stats.requests == 1 + 3  # the size, then three tries of the one block asked for
    assert time.monotonic() - started < 9  # each 5 s stall is cut by the read timeout (2 s), not waited out


def test_retry_after_is_honoured(server):
    server.inject(_key(), Fault("rate_limited", seconds=0.4))
    started = time.monotonic()
    with fetch.RemoteFile(f"{server.url}/{_key()}", QUICK) as remote:
        assert remote.read() == SAMPLE_WARCS[0].read_bytes()
    assert time.monotonic() - started >= 0.4 and remote.stats.wait_seconds >= 0.4


@pytest.mark.parametrize(
    ("fault", "cause", "attempts"),
    [
        (Fault("not_found"), "permanent", 1),
        (Fault("slowdown"), "slowdown", QUICK.attempts),  # past its attempts
        (Fault("denied"), "forbidden", QUICK.forbidden_attempts),  # over HTTP a 403 has no code: a short burst
    ],
    ids=["404", "slowdown", "403"],
)
def test_a_fault_that_stays_fails_with_its_path_range_cause_and_attempts(server, fault, cause, attempts):
    server.inject(_key(), fault, times=None)
    url = f"{server.url}/{_key()}"
    with pytest.raises(fetch.FetchFailed) as failed:
        fetch.RemoteFile(url, QUICK).read(100)
    record = failed.value.record()
    assert (record["path"], record["range"], record["cause"], record["attempts"]) == (url, [0, 16384], cause, attempts)
    assert len(server.gets(_key())) == attempts


def test_a_broken_block_is_asked_for_again_from_the_first_byte_not_returned(server):
    data = SAMPLE_WARCS[0].read_bytes()
    with fetch.RemoteFile(f"{server.url}/{_key()}", QUICK) as remote:
        assert remote.read(40_000) == data[:40_000]
        server.inject(_key(), Fault("reset", after=3000))
        assert remote.read(1000) == data[40_000:41_000]
        assert remote.read() == data[41_000:]
    ranges = [header for header, _ in server.gets(_key())]
    assert ranges[:2] == ["bytes=0-39999", "bytes=40000-56383"]  # one read, then the block at 40000, cut
    assert ranges[2] == "bytes=40000-56383"  # resumed at the byte the reader is at, nothing skipped or repeated
    assert remote.stats.retries == {"reset": 1}


@pytest.mark.parametrize("read_ahead", [0, QUICK.read_ahead], ids=["in-turn", "read-ahead"])
def test_a_stream_that_fails_for_good_ends_there_and_says_why(server, read_ahead):
    data = SAMPLE_WARCS[0].read_bytes()
    server.inject(_key(), None)  # the first block comes, the second is gone for good
    server.inject(_key(), Fault("not_found"), times=None)
    stream = fetch.open_input(f"{server.url}/{_key()}", dataclasses.replace(QUICK, read_ahead=read_ahead))
    assert stream.read(10_000) == data[:10_000]
    assert stream.read(10_000) == data[10_000:16_384]  # the rest of the block it had
    assert stream.read(1) == b"" and fetch.failure_of(stream).record()["range"] == [16_384, 32_768]
    stream.close()


def test_a_file_whose_server_gives_no_size_fails_with_its_cause_instead_of_being_read_blind(server):
    server.sizeless.add("/" + _key())
    try:
        stream = fetch.open_input(f"{server.url}/{_key()}", QUICK)
        assert stream.read(10) == b""
        assert fetch.failure_of(stream).record()["cause"] == "no_size"
        with pytest.raises(fetch.FetchFailed, match="no_size"):
            fetch.read_bytes(f"{server.url}/{_key()}", QUICK)
    finally:
        server.sizeless.clear()


@pytest.mark.parametrize("read_ahead", [0, QUICK.read_ahead], ids=["in-turn", "read-ahead"])
def test_a_file_longer_than_its_head_said_fails_at_that_end_instead_of_ending_there(server, read_ahead):
    data = SAMPLE_WARCS[0].read_bytes()
    server.head_sizes["/" + _key()] = 40_000  # a HEAD answered by something other than the file
    try:
        stream = fetch.open_input(f"{server.url}/{_key()}", dataclasses.replace(QUICK, read_ahead=read_ahead))
        read = b"".join(iter(lambda: stream.read(10_000), b""))
        assert read == data[:32_768]  # the blocks before the one that would end the file
        failure = fetch.failure_of(stream).record()
        assert failure["cause"] == "size_mismatch" and failure["range"] == [32_768, 40_000]
        stream.close()
    finally:
        server.head_sizes.clear()
    stream = fetch.open_input(f"{server.url}/{_key()}", QUICK)  # the true size: the last block passes the check
    assert stream.read() == data and fetch.failure_of(stream) is None


def test_a_read_ahead_gives_the_files_bytes_through_faults_and_seeks(server):
    """Blocks fetched ahead by a thread, two of them retried: small sequential reads, a skip forward past blocks, a
    step back into a block just read and a seek far back all give the file's bytes; the retries are counted."""
    data = SAMPLE_WARCS[0].read_bytes()
    for fault in (None, Fault("reset", after=3000), None, Fault("slowdown")):
        server.inject(_key(), fault)
    with fetch.open_input(f"{server.url}/{_key()}", QUICK) as stream:
        assert b"".join(iter(lambda: stream.read(1000), b"")) == data
        stream.seek(5_000)  # far back: the read-ahead starts again there
        assert stream.read(100) == data[5_000:5_100]
        stream.seek(70_000)  # four blocks ahead of a read-ahead started again at 5,000
        assert stream.read(20_000) == data[70_000:90_000]
        stream.seek(75_000)  # back into the block before the one it is in
        assert stream.read(500) == data[75_000:75_500]
        stream.seek(0, 2)
        assert stream.read(1) == b""
    assert stream.stats.retries == {"reset": 1, "slowdown": 1}
    assert stream.stats.bytes >= len(data)


@pytest.mark.parametrize("read_ahead", [0, QUICK.read_ahead], ids=["in-turn", "read-ahead"])
def test_a_read_ahead_retries_while_the_reader_parses(server, read_ahead):
    """The second block answers 503 once (a 0.5-1 s backoff); the reader spends 2 s on the first block. Read in
    turn, the backoff holds the reader up; read ahead, it passed while the reader parsed."""
    server.inject(_key(), None)
    server.inject(_key(), Fault("slowdown"))
    settings = dataclasses.replace(QUICK, backoff_base=0.5, backoff_cap=1.0, read_ahead=read_ahead)
    with fetch.open_input(f"{server.url}/{_key()}", settings) as stream:
        first = stream.read(16_384)
        time.sleep(2)  # parsing the first block
        assert first + stream.read() == SAMPLE_WARCS[0].read_bytes()
    assert stream.stats.retries == {"slowdown": 1} and stream.stats.wait_seconds >= 0.5
    if read_ahead:
        assert stream.stats.stalled_seconds < 0.5
    else:
        assert stream.stats.stalled_seconds >= stream.stats.wait_seconds


def test_closing_a_stream_stops_its_read_ahead_in_a_backoff(server):
    """A reader that stops early does not wait for the read-ahead's retries (here 20 s apart)."""
    server.inject(_key(), None)
    server.inject(_key(), Fault("slowdown"), times=None)
    patient = dataclasses.replace(QUICK, backoff_base=20, backoff_cap=20)
    stream = fetch.open_input(f"{server.url}/{_key()}", patient)
    assert stream.read(100) == SAMPLE_WARCS[0].read_bytes()[:100]
    while not stream.stats.retries:  # the read-ahead's first try of the second block answered 503: it waits
        time.sleep(0.01)
    started = time.monotonic()
    stream.close()
    assert time.monotonic() - started < 5
    assert stream.stats.retries == {"slowdown": 1}


def test_the_request_budget_paces_requests(server):
    paced = dataclasses.replace(QUICK, requests_per_second=20.0, block_size=4096)
    started = time.monotonic()
    with fetch.RemoteFile(f"{server.url}/{_key()}", paced) as remote:
        while remote.read(4096):
            pass
    assert remote.stats.requests == 1 + 24  # 97,775 bytes in 4 kB blocks
    assert time.monotonic() - started >= 24 / 20 - 0.1


def test_a_job_wide_budget_is_divided_among_the_worker_processes():
    job = FetchConfig(requests_per_second=10, job_requests_per_second=8, job_bytes_per_second=4e6)
    assert (fetch.per_process(job, 4).requests_per_second, fetch.per_process(job, 4).bytes_per_second) == (2, 1e6)
    assert fetch.per_process(job, 1).requests_per_second == 8  # the smaller of the share and the process's own
    assert fetch.per_process(FetchConfig(), 8) == FetchConfig()  # no job-wide budget: the per-process one


def test_local_paths_are_opened_as_they_are():
    stream = fetch.open_input(str(SAMPLE_WARCS[0]), QUICK)
    with stream:
        assert not hasattr(stream, "stats") and stream.read(3) == b"\x1f\x8b\x08"


def test_the_reader_resumes_the_same_record_after_resets_mid_file(server, served):
    """The first and the fifth block requests of the file are cut after 3000 bytes: the reader yields the local
    file's documents, none lost, repeated or errored."""

    def documents(folder: str) -> list[tuple[str, int]]:
        reader = WarcDocumentReader(ListedFolder(folder, [SAMPLE_WARCS[0].name]), fetch_settings=QUICK)
        return [(doc.id, len(doc.text)) for doc in pipe([reader])]

    local = documents(str(served["root"] / CRAWL))
    for _ in range(2):
        server.inject(_key(), Fault("reset", after=3000))
        server.inject(_key(), None, times=3)
    remote = documents(f"{server.url}/{CRAWL}")
    assert remote == local and len(local) > 20
    assert len(server.gets(_key())) == 6 + 2  # read ahead: each 16 KiB block once, the two cut ones again


# --- s3:// through the fault server in front of the moto S3 server ---


@pytest.fixture
def s3_faults(s3_bucket, monkeypatch) -> Iterator[tuple[FaultServer, str]]:
    """A sample WARC in a moto bucket; s3fs pointed at a fault server that forwards to moto. Yields the server and
    the file's URI."""
    import s3fs

    uri = s3_bucket.upload(SAMPLE_WARCS[0], _key())
    with FaultServer(upstream=s3_bucket.endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        s3fs.S3FileSystem.clear_instance_cache()  # clients made for moto's own endpoint would be reused
        yield proxy, uri
    s3fs.S3FileSystem.clear_instance_cache()


S3_TRANSIENT = [
    (Fault("slowdown"), "slowdown"),
    (Fault("server_error"), "server_error"),
    (Fault("reset", after=5000), "reset"),
    (Fault("short", after=100), "checksum"),  # botocore checks the body against the object's checksum header
    (Fault("error_page"), "error_document"),
]


@pytest.mark.parametrize(("fault", "cause"), S3_TRANSIENT, ids=[cause for _, cause in S3_TRANSIENT])
def test_s3_faults_are_retried_and_counted(s3_faults, fault, cause):
    proxy, uri = s3_faults
    proxy.inject(uri.removeprefix("s3:/"), fault)
    with fetch.RemoteFile(uri, QUICK) as remote:
        assert remote.read() == SAMPLE_WARCS[0].read_bytes()
    assert remote.stats.retries == {cause: 1}


def test_s3_access_denied_is_not_retried(s3_faults):
    proxy, uri = s3_faults
    proxy.inject(uri.removeprefix("s3:/"), Fault("denied"), times=None)
    with pytest.raises(fetch.FetchFailed) as failed:
        fetch.RemoteFile(uri, QUICK).read()
    assert (failed.value.cause, failed.value.attempts) == ("permanent", 1)


# --- monsoon run over a warc.paths listing served by the fault server ---


def _listing(folder: Path) -> Path:
    path = folder / "warc.paths"
    path.write_text("".join(f"{CRAWL}/{p.name}\n" for p in SAMPLE_WARCS))
    return path


def _config(folder: Path) -> Path:
    config = folder / "run.yaml"
    config.write_text((REPO / "configs" / "sample.yaml").read_text() + QUICK_YAML)
    return config


def _run(capsys, folder: Path, prefix: str, output: Path, *more: str) -> tuple[int, str, str]:
    return run_cli(
        capsys, "run", str(_config(folder)), "--input", str(_listing(folder)), "--input-prefix", prefix,
        "--limit", "2", "--tasks", "2", "--workers", "1", "--output", str(output), *more,
    )  # fmt: skip


def _every_transient_fault_then_a_404(server: FaultServer) -> None:
    """The fault matrix of a run: the first file's one block answers each transient fault in turn (a request tried
    nine times: QUICK_YAML's `attempts` 10), the second file is gone for good."""
    for fault, _ in TRANSIENT:
        server.inject(_key(0), fault)
    server.inject(_key(1), Fault("not_found"), times=None)


def _one_retry_of_each_cause(retries: dict) -> bool:
    """One retry of each transient cause; a reset mid-body may reach the client as a read timeout when the
    suite's earlier tests left the process busy (seen in the whole suite only: the unit tests pin the reset's own
    cause)."""
    expected = {cause: 1 for _, cause in TRANSIENT}
    return retries in (expected, {**{k: v for k, v in expected.items() if k != "reset"}, "timeout": 2})


def _rows(output: Path) -> list[tuple]:
    return sorted(
        (row["language"], row["id"], row["token_count"], row["text"])
        for path in output.glob("*/*.parquet")
        for row in pq.read_table(path, columns=["language", "id", "token_count", "text"]).to_pylist()
    )


def _accounting(output: Path) -> dict:
    return json.loads((output / "accounting.json").read_text())


@pytest.fixture(scope="module")
def reference(served, tmp_path_factory) -> Path:
    """The first two sample files read from local paths: the fault-free result."""
    from monsoon.cli import main

    folder = tmp_path_factory.mktemp("reference")
    output = folder / "out"
    argv = ["run", str(_config(folder)), "--input", str(_listing(folder)), "--input-prefix", str(served["root"])]
    assert main([*argv, "--limit", "2", "--tasks", "2", "--workers", "1", "--output", str(output)]) == 0
    assert (_accounting(output)["total"]["read"], _accounting(output)["total"]["kept"]) == (112, 75)
    return output


def _without_fetch(accounting: dict) -> dict:
    return {key: value for key, value in accounting.items() if key != "fetch"}


@pytest.mark.parametrize(
    ("fault", "cause"),
    [(Fault("reset", after=40_000), "reset"), (Fault("slowdown"), "slowdown")],
    ids=["reset_after_40kB", "503_slowdown"],
)
def test_monsoon_run_over_http_retries_the_first_get_and_writes_the_fault_free_corpus(
    server, reference, tmp_path, capsys, fault, cause
):
    """Issue 21's two failures: the first GET of a file (the whole ~100 kB file: one block) cut after 40 kB (the run
    hung), or answered 503 SlowDown (the run exited 1)."""
    server.inject(_key(0), fault)
    output = tmp_path / "out"
    code, out, err = _run(capsys, tmp_path, f"{server.url}/", output)
    assert code == 0, err
    assert _rows(output) == _rows(reference)
    accounting = _accounting(output)
    assert _without_fetch(accounting) == _accounting(reference)
    # one retry; a reset mid-body may reach the client as a read timeout when the suite's earlier tests left the
    # process busy (seen in the whole suite only: the unit test above pins the reset's own cause)
    retries = accounting["fetch"]["retries"]
    assert sum(retries.values()) == 1 and set(retries) <= {cause, "timeout"}, retries
    assert accounting["fetch"]["failed_inputs"] == 0
    assert "fetch: " in out and f"retries: {next(iter(retries))} 1" in out
    # the file in one request, one byte past its end (a size check: the server clamps the range)
    assert server.gets(_key(0))[0] == ("bytes=0-97775", 503 if cause == "slowdown" else 206)


def test_every_fault_is_retried_a_permanent_one_exits_3_lists_the_input_and_a_rerun_recovers(
    server, reference, tmp_path, capsys
):
    _every_transient_fault_then_a_404(server)
    output = tmp_path / "out"
    code, out, err = _run(capsys, tmp_path, f"{server.url}/", output)
    assert code == 3, err
    assert "partial: 1 inputs failed; run the same command again to retry them" in err
    assert "1 input files failed" in out
    failed = [json.loads(line) for line in (output / "_work" / "failed_inputs.jsonl").read_text().splitlines()]
    assert failed == [
        {
            "path": f"{server.url}/{_key(1)}",
            "range": [0, SAMPLE_WARCS[1].stat().st_size],  # the whole file is one block (fetch.block_size 8 MiB)
            "cause": "permanent",
            "error": f"FileNotFoundError: {server.url}/{_key(1)}",
            "attempts": 1,
        }
    ]
    partial = _accounting(output)
    assert _one_retry_of_each_cause(partial["fetch"]["retries"])
    assert partial["fetch"]["failed_inputs"] == 1 and partial["total"]["read"] == 56  # the other file's records
    write_report(str(output), tmp_path / "audit")
    assert "## Remote reads" in (report := (tmp_path / "audit" / "report.md").read_text())
    assert "| 1 |" in report.split("## Remote reads")[1].split("##")[0]  # failed inputs

    server.clear()  # the file is back
    code, _, err = _run(capsys, tmp_path, f"{server.url}/", output)
    assert code == 0, err
    assert not server.gets(_key(0)) and server.gets(_key(1))  # only what failed is fetched again
    assert _rows(output) == _rows(reference)
    assert _without_fetch(_accounting(output)) == _accounting(reference)
    assert not (output / "_work" / "failed_inputs.jsonl").exists()


def test_monsoon_run_over_s3_retries_a_503_and_a_reset_and_writes_the_fault_free_corpus(
    s3_faults, s3_bucket, reference, tmp_path, capsys
):
    proxy, _ = s3_faults
    listing = s3_bucket.upload(_listing(tmp_path), "warc.paths")
    s3_bucket.upload(SAMPLE_WARCS[1], _key(1))
    proxy.inject(f"{s3_bucket.name}/{_key(0)}", Fault("slowdown"))
    proxy.inject(f"{s3_bucket.name}/{_key(1)}", Fault("reset", after=40_000))
    output = tmp_path / "out"
    code, _, err = run_cli(
        capsys, "run", str(_config(tmp_path)), "--input", listing, "--input-prefix", f"{s3_bucket.url}/",
        "--limit", "2", "--tasks", "2", "--workers", "1", "--output", str(output),
    )  # fmt: skip
    assert code == 0, err
    assert _rows(output) == _rows(reference)
    accounting = _accounting(output)
    assert _without_fetch(accounting) == _accounting(reference)
    # aiobotocore may see the cut connection as a read that never ends (then timed out) rather than as a reset
    retries = accounting["fetch"]["retries"]
    assert retries.pop("slowdown") == 1 and retries in ({"reset": 1}, {"timeout": 1})


@pytest.mark.spark
def test_spark_retries_every_fault_lists_a_404_and_a_rerun_recovers(server, reference, tmp_path, capsys):
    _every_transient_fault_then_a_404(server)
    output = tmp_path / "out"
    spark = ("--engine", "spark", "--master", "local[2]")
    code, _, err = _run(capsys, tmp_path, f"{server.url}/", output, *spark)
    assert code == 3, err
    partial = _accounting(output)
    assert _one_retry_of_each_cause(partial["fetch"]["retries"]) and partial["fetch"]["failed_inputs"] == 1
    assert partial["total"]["read"] == 56  # the first file's records, read once through its nine tries
    assert [
        json.loads(line)["path"] for line in (output / "_work" / "failed_inputs.jsonl").read_text().splitlines()
    ] == [f"{server.url}/{_key(1)}"]
    server.clear()
    code, _, err = _run(capsys, tmp_path, f"{server.url}/", output, *spark)
    assert code == 0, err
    assert not server.gets(_key(0)) and server.gets(_key(1))  # one Spark task per file: only the failed one again
    assert _rows(output) == _rows(reference)
    assert _without_fetch(_accounting(output)) == _accounting(reference)


def test_a_run_killed_during_a_retry_storm_resumes_to_the_fault_free_corpus(server, reference, tmp_path, capsys):
    """A file answering 503 SlowDown to every request (a storm the run keeps retrying), the run SIGKILLed while it
    retries, then the same command once the store is back: the fault-free corpus, as after any other kill."""
    import os
    import signal
    import subprocess
    import sys

    server.inject(_key(1), Fault("slowdown"), times=None)
    output = tmp_path / "out"
    storm = tmp_path / "storm.yaml"  # retrying for minutes, about every 50 ms
    storm.write_text(
        (REPO / "configs" / "sample.yaml").read_text()
        + "fetch:\n  attempts: 100000\n  backoff_base: 0.05\n  backoff_cap: 0.05\n  requests_per_second: 0\n"
    )
    argv = ["run", str(storm), "--input", str(_listing(tmp_path)), "--input-prefix", f"{server.url}/"]
    argv += ["--limit", "2", "--tasks", "2", "--workers", "1", "--output", str(output)]
    victim = subprocess.Popen(
        [sys.executable, "-m", "monsoon.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(server.gets(_key(1))) < 20 and time.monotonic() < deadline:  # well into the storm
        time.sleep(0.1)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert len(server.gets(_key(1))) >= 20 and all(status == 503 for _, status in server.gets(_key(1)))

    server.clear()  # the store recovers
    code, _, err = _run(capsys, tmp_path, f"{server.url}/", output)
    assert code == 0, err
    assert _rows(output) == _rows(reference)
    assert _without_fetch(_accounting(output)) == _accounting(reference)
