"""Fetch faults not covered in tests/pipeline/test_fetch.py: TLS errors (row 15) and a body without
Content-Length (row 3)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.errors import BodyTooLarge, NetworkError
from bot.pipeline.fetch import FetchLimits, Validators, build_http_client, fetch
from tests.conftest import START


def serve_once_per_connection(server: socket.socket, answer: bytes, wrap: ssl.SSLContext | None = None) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        try:
            if wrap is not None:
                conn = wrap.wrap_socket(conn, server_side=True)
            conn.recv(65536)
            conn.sendall(answer)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


@pytest.fixture
def raw_server() -> Iterator[tuple[socket.socket, int]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server, server.getsockname()[1]
    server.close()


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def test_row_15_self_signed_certificate_is_a_tls_error(
    raw_server: tuple[socket.socket, int], self_signed: ssl.SSLContext
) -> None:
    """Row 15: a self-signed certificate → a TLS-specific error, no insecure fallback."""
    server, port = raw_server
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n<rss>"
    threading.Thread(target=serve_once_per_connection, args=(server, answer, self_signed), daemon=True).start()
    async with build_http_client("test") as client:
        with pytest.raises(NetworkError, match=r"^TLS error: .*certificate"):
            await fetch(client, f"https://127.0.0.1:{port}/feed", Validators(), FetchLimits(total_timeout=5), START)


EXPIRED_CA_CONFIG = """[ca]
default_ca = signing
[signing]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
"""


@pytest.fixture
def expired_certificate(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for 127.0.0.1 that expired in 2020, and the certificate to trust."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    (tmp_path / "index.txt").write_text("")
    (tmp_path / "serial").write_text("01\n")
    (tmp_path / "ca.cnf").write_text(EXPIRED_CA_CONFIG)
    request = "req -new -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    sign = "ca -selfsign -batch -config ca.cnf -in req.csr -startdate 20200101000000Z -enddate 20200102000000Z"
    for command in (f"{request} -keyout key.pem -out req.csr", f"{sign} -keyfile key.pem -out cert.pem"):
        subprocess.run(["openssl", *command.split()], check=True, capture_output=True, cwd=tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context, tmp_path / "cert.pem"


async def test_row_15_expired_certificate_is_a_tls_error_even_when_trusted(
    raw_server: tuple[socket.socket, int], expired_certificate: tuple[ssl.SSLContext, Path]
) -> None:
    """Row 15: an expired certificate (trusted, right host) → "certificate has expired", no fallback."""
    server, port = raw_server
    server_context, certificate = expired_certificate
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n<rss>"
    threading.Thread(target=serve_once_per_connection, args=(server, answer, server_context), daemon=True).start()
    trusting = ssl.create_default_context(cafile=str(certificate))
    async with build_http_client("test", transport=httpx.AsyncHTTPTransport(verify=trusting)) as client:
        with pytest.raises(NetworkError, match=r"^TLS error: .*certificate has expired"):
            await fetch(client, f"https://127.0.0.1:{port}/feed", Validators(), FetchLimits(total_timeout=5), START)


async def test_row_3_body_without_content_length_is_capped(raw_server: tuple[socket.socket, int]) -> None:
    """Row 3: a close-delimited body with no Content-Length is cut at the cap, not read to the end."""
    server, port = raw_server
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n<rss>" + b"x" * 3_000_000 + b"</rss>"
    threading.Thread(target=serve_once_per_connection, args=(server, answer), daemon=True).start()
    async with build_http_client("test") as client:
        with pytest.raises(BodyTooLarge, match="over the 1,000,000-byte limit"):
            await fetch(client, f"http://127.0.0.1:{port}/feed", Validators(), FetchLimits(1_000_000, 5), START)
