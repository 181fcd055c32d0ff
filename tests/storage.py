"""Both upload stores for the upload tests: the file system and a private bucket on a local S3 server.

`s3_server` starts moto's server mode once per test session (`moto_server` on a free port) and stops it at the
end; if it cannot start, the tests that need it fail saying why (never skipped). `upload_storage` is
parametrised over "filesystem" and "s3": a test that asks for it runs once on each, with a fresh folder or a
fresh private bucket configured exactly as production's (crossector.core.storage.s3_storage_config).
`downloaded` fetches what the download view answered, streamed or by the signed link it redirected to.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

S3_REGION = "eu-west-2"
S3_KEY = "test-access-key"
S3_SECRET = "test-secret-key"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    executable = Path(sys.executable).with_name("moto_server")
    if not executable.exists():
        pytest.fail(f"moto's S3 server is not installed ({executable}): pip install -r requirements-dev.txt")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own venv's moto_server, fixed arguments
            [str(executable), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310 - local http
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto's S3 server did not start on {endpoint}; its output:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
    yield S3Server(endpoint)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def s3_settings(server: S3Server, bucket: str) -> dict:
    from crossector.core.storage import s3_storage_config

    return s3_storage_config(
        bucket=bucket,
        endpoint_url=server.endpoint,
        region=S3_REGION,
        access_key=S3_KEY,
        secret_key=S3_SECRET,
        url_seconds=60,
    )


@pytest.fixture
def s3_bucket(s3_server, settings):
    """A fresh private bucket as the upload store; emptied and removed afterwards."""
    bucket = f"uploads-{uuid.uuid4().hex[:16]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    settings.STORAGES = {**settings.STORAGES, "default": s3_settings(s3_server, bucket)}
    yield bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["filesystem", "s3"])
def upload_storage(request, settings, tmp_path):
    """Runs the test once with uploads on the file system and once in a private bucket; yields which."""
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
        yield "s3"
        return
    location = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    settings.PRIVATE_MEDIA_ROOT = location
    yield "filesystem"
    shutil.rmtree(location, ignore_errors=True)


@dataclass(frozen=True)
class Download:
    body: bytes
    headers: CaseInsensitiveMapping
    signed_url: str | None  # the link the portal redirected to, when the store signs links


def downloaded(response) -> Download:
    """What the browser ends up with from the document download view: the streamed file, or the file from the
    signed link it was sent to (fetched from the S3 server as a browser would, without the portal's cookies)."""
    if response.status_code == 200:
        return Download(b"".join(response.streaming_content), CaseInsensitiveMapping(dict(response.headers)), None)
    assert response.status_code == 302, response.status_code
    url = response["Location"]
    assert url.startswith("http://127.0.0.1:") and "X-Amz-Signature=" in url, url
    with urllib.request.urlopen(url, timeout=10) as fetched:  # noqa: S310 - the local S3 server
        return Download(fetched.read(), CaseInsensitiveMapping(dict(fetched.headers.items())), url)
