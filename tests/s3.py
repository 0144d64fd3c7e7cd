"""A real S3-protocol server for the tests: moto in server mode on 127.0.0.1 (a free port), started once per test
session, with the AWS_* variables every S3 client here reads (s3fs through fsspec, pyarrow, boto3) pointing at it.
Subprocesses inherit them, so `monsoon` run as a command reaches the same server."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# variables that could send a client elsewhere (a profile, a real session)
_CLEARED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@dataclass
class Bucket:
    name: str
    endpoint: str

    @property
    def url(self) -> str:
        return f"s3://{self.name}"

    def upload(self, local: Path, key: str) -> str:
        """Copy a local file or folder to s3://bucket/key; its URI."""
        import fsspec

        fs = fsspec.filesystem("s3")
        target = f"{self.name}/{key}"
        if local.is_dir():
            fs.put(f"{local}/", target, recursive=True)
        else:
            fs.put_file(str(local), target)
        return f"s3://{target}"

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under s3://bucket/prefix, relative to the bucket, sorted."""
        import fsspec

        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        return sorted(path.split("/", 1)[1] for path in fs.find(f"{self.name}/{prefix}"))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The moto server's endpoint URL; AWS_* variables set for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = dict(os.environ)
    for name in _CLEARED:
        os.environ.pop(name, None)
    os.environ.update(_ENVIRONMENT, AWS_ENDPOINT_URL=endpoint)
    try:
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> Bucket:
    """A new empty bucket on the session's server."""
    import fsspec

    name = f"test-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3").mkdir(name)
    return Bucket(name, s3_endpoint)


def kill_after_first_task(victim, completions: str) -> None:
    """SIGKILL `victim` (a `monsoon run` writing to S3, 2 tasks) once one documents task is complete (`completions`:
    bucket/key of that stage's completion markers) and the other not: a kill mid-stage."""
    import signal
    import time

    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    deadline = time.monotonic() + 120
    while victim.poll() is None and time.monotonic() < deadline:
        fs.invalidate_cache()
        if fs.exists(completions) and fs.ls(completions):
            break
        time.sleep(0.1)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    fs.invalidate_cache()
    assert len(fs.ls(completions)) == 1
