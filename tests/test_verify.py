"""Signed manifests and `outpost verify`: a copy that is not what was published is caught."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import INCIDENT, MakeSite, run_outpost

NOW = "2026-12-01 12:00 UTC"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(folder) → the URL of a real HTTP server on 127.0.0.1 serving FOLDER."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def make_key(folder: Path, name: str) -> tuple[Path, str]:
    """An ed25519 key pair in FOLDER; the private key and its allowed_signers line."""
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    public = (folder / f"{name}.pub").read_text().split()
    return key, f'status@acme.example namespaces="outpost" {public[0]} {public[1]}\n'


@pytest.fixture
def signed(make_site: MakeSite, tmp_path: Path) -> tuple[Path, Path]:
    """A site built with --sign into `out`, and the allowed signers file for its key."""
    site = make_site({"content/incidents/2026-11-29-login-failures.md": INCIDENT})
    key, line = make_key(tmp_path, "release")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(line)
    result = run_outpost("build", "--now", NOW, "--sign", key, "--out", tmp_path / "out", cwd=site)
    assert result.returncode == 0, result.stderr
    return tmp_path / "out", allowed


def verify(source: str | Path, allowed: Path, cwd: Path) -> tuple[int, list[str], list[str]]:
    result = run_outpost("verify", source, "--allowed-signers", allowed, cwd=cwd)
    return result.returncode, result.stdout.splitlines(), result.stderr.splitlines()


def copy(out: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(out, target)
    return target


def test_the_manifest_lists_every_other_file_with_size_and_sha256(
    signed: tuple[Path, Path],
) -> None:
    out, _ = signed
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert manifest["built"] == "2026-12-01T12:00:00Z"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    listed = [entry["path"] for entry in manifest["files"]]
    assert listed == [p for p in files if p not in ("manifest.json", "manifest.json.sig")]
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert (out / "manifest.json.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")


def test_the_signature_verifies_with_ssh_keygen_itself(signed: tuple[Path, Path]) -> None:
    out, allowed = signed
    result = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(allowed),
            "-I",
            "status@acme.example",
            "-n",
            "outpost",
            "-s",
            str(out / "manifest.json.sig"),
        ],
        input=(out / "manifest.json").read_bytes(),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_correct_copy_verifies_from_a_folder_and_over_http(
    signed: tuple[Path, Path], serve: Any, tmp_path: Path
) -> None:
    out, allowed = signed
    count = len(json.loads((out / "manifest.json").read_bytes())["files"])
    expected = (
        f"verified {count} files, signed by status@acme.example: nothing missing, changed or added"
    )
    assert verify(out, allowed, tmp_path) == (0, [expected], [])
    assert verify(serve(out), allowed, tmp_path) == (0, [expected], [])


@pytest.mark.parametrize("over_http", [False, True])
def test_one_changed_byte_is_caught(
    signed: tuple[Path, Path], serve: Any, tmp_path: Path, over_http: bool
) -> None:
    out, allowed = signed
    tampered = copy(out, tmp_path, "tampered")
    page = tampered / "incidents/2026-11-29-login-failures/index.html"
    data = bytearray(page.read_bytes())
    data[data.index(b"Logins work again")] ^= 0x20  # "logins work again"
    page.write_bytes(bytes(data))
    code, stdout, stderr = verify(serve(tampered) if over_http else tampered, allowed, tmp_path)
    assert (code, stdout) == (1, [])
    assert len(stderr) == 2
    assert stderr[0].startswith("changed: incidents/2026-11-29-login-failures/index.html (")
    assert stderr[1] == "1 problem: this is not what was published"


@pytest.mark.parametrize("over_http", [False, True])
def test_an_added_page_is_caught(
    signed: tuple[Path, Path], serve: Any, tmp_path: Path, over_http: bool
) -> None:
    out, allowed = signed
    tampered = copy(out, tmp_path, "added")
    (tampered / "incidents/all-clear").mkdir()
    (tampered / "incidents/all-clear/index.html").write_text("<!doctype html><p>All clear!")
    sitemap = tampered / "sitemap.xml"
    entry = "<url><loc>https://status.example.com/incidents/all-clear/</loc></url>"
    sitemap.write_text(sitemap.read_text().replace("</urlset>", entry + "</urlset>"))
    code, _, stderr = verify(serve(tampered) if over_http else tampered, allowed, tmp_path)
    assert code == 1
    assert stderr[-1] == "2 problems: this is not what was published"
    assert stderr[0].startswith("changed: sitemap.xml (")
    assert stderr[1] == "unlisted: incidents/all-clear/index.html"


def test_a_missing_file_is_caught(signed: tuple[Path, Path], serve: Any, tmp_path: Path) -> None:
    out, allowed = signed
    tampered = copy(out, tmp_path, "missing")
    (tampered / "feed.atom").unlink()
    code, _, stderr = verify(serve(tampered), allowed, tmp_path)
    assert (code, stderr) == (
        1,
        ["missing: feed.atom", "1 problem: this is not what was published"],
    )


def test_a_manifest_signed_by_another_key_is_refused(
    signed: tuple[Path, Path], serve: Any, tmp_path: Path
) -> None:
    out, allowed = signed
    forged = copy(out, tmp_path, "forged")
    manifest = forged / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"built": "', b'"built": "forged '))
    key, _ = make_key(tmp_path, "attacker")
    (forged / "manifest.json.sig").unlink()
    subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", "outpost", str(manifest)],
        check=True,
        capture_output=True,
    )
    code, _, stderr = verify(serve(forged), allowed, tmp_path)
    assert code == 1
    assert stderr == [
        "signature: the signature is not by any key in the allowed signers file",
        "1 problem: this is not what was published",
    ]


def test_a_changed_manifest_with_the_old_signature_is_refused(
    signed: tuple[Path, Path], tmp_path: Path
) -> None:
    out, allowed = signed
    forged = copy(out, tmp_path, "edited")
    manifest = forged / "manifest.json"
    manifest.write_bytes(
        manifest.read_bytes().replace(b"2026-12-01T12:00:00Z", b"2026-12-02T12:00:00Z")
    )
    code, _, stderr = verify(forged, allowed, tmp_path)
    assert code == 1
    assert stderr[0].startswith("signature: ")


def test_an_unsigned_copy_is_refused(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/incidents/2026-11-29-login-failures.md": INCIDENT})
    assert run_outpost("build", "--now", NOW, "--manifest", cwd=site).returncode == 0
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(make_key(tmp_path, "k")[1])
    code, _, stderr = verify(site / "public", allowed, tmp_path)
    assert code == 1
    assert stderr[0] == "missing: manifest.json.sig (was the site built with --manifest --sign?)"


def test_bad_arguments_are_usage_errors(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/incidents/2026-11-29-login-failures.md": INCIDENT})
    result = run_outpost("build", "--sign", tmp_path / "no-such-key", cwd=site)
    assert result.returncode == 2
    assert (
        f"outpost build: error: --sign: no key file '{tmp_path / 'no-such-key'}'" in result.stderr
    )
    assert not (site / "public").exists()
    result = run_outpost("verify", "nowhere", "--allowed-signers", tmp_path / "x", cwd=site)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_over_http_a_host_may_consume_headers(
    signed: tuple[Path, Path], serve: Any, tmp_path: Path
) -> None:
    out, allowed = signed
    hosted = copy(out, tmp_path, "hosted")
    (hosted / "_headers").unlink()  # Netlify and Cloudflare Pages read it and do not serve it
    code, stdout, _ = verify(serve(hosted), allowed, tmp_path)
    assert code == 0
    assert stdout[0].startswith("verified ")
    code, _, stderr = verify(hosted, allowed, tmp_path)  # a folder has every file
    assert (code, stderr[0]) == (1, "missing: _headers")
