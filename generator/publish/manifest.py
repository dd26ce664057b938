"""`manifest.json`: every published file's path, size and SHA-256, signed with an SSH key."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator import __version__
from generator.problems import UsageError
from generator.timestamps import format_iso

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
NAMESPACE = "outpost"  # ssh-keygen -Y's namespace: a signature for anything else never verifies


@dataclass(frozen=True)
class Entry:
    """One file as the manifest lists it."""

    path: str
    size: int
    sha256: str


def make_manifest(files: dict[str, bytes], built: datetime, base_url: str) -> bytes:
    """The manifest of FILES (all but the manifest and its signature), built at BUILT for BASE_URL."""
    entries = [
        {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for path, data in sorted(files.items())
        if path not in (MANIFEST, SIGNATURE)
    ]
    document = {
        "generator": f"Outpost {__version__}",
        "built": format_iso(built),
        "base_url": base_url,
        "files": entries,
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def read_manifest(data: bytes) -> tuple[str, list[Entry]]:
    """The base URL and the entries of a manifest; ValueError when it is not one."""
    try:
        document = json.loads(data)
        entries = [
            Entry(str(e["path"]), int(e["size"]), str(e["sha256"])) for e in document["files"]
        ]
        return str(document["base_url"]), entries
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not an Outpost manifest: {exc}") from None


def sign_manifest(manifest: bytes, key: Path) -> bytes:
    """The SSH signature of MANIFEST made with the private KEY (`ssh-keygen -Y sign`)."""
    if not key.is_file():
        raise UsageError(f"--sign: no key file '{key}'")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / MANIFEST
        target.write_bytes(manifest)
        result = _ssh_keygen(["-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(target)])
        if result.returncode != 0:
            raise UsageError(f"--sign: ssh-keygen could not sign with '{key}': {_reason(result)}")
        return (Path(folder) / SIGNATURE).read_bytes()


def verify_signature(manifest: bytes, signature: bytes, allowed_signers: Path) -> str:
    """The principal that signed MANIFEST, per ALLOWED_SIGNERS; ValueError when none did."""
    with tempfile.TemporaryDirectory() as folder:
        sig = Path(folder) / SIGNATURE
        sig.write_bytes(signature)
        found = _ssh_keygen(
            ["-Y", "find-principals", "-s", str(sig), "-f", str(allowed_signers)], manifest
        )
        principal = found.stdout.decode(errors="replace").splitlines()[0] if found.stdout else ""
        if found.returncode != 0 or not principal:
            raise ValueError("the signature is not by any key in the allowed signers file")
        checked = _ssh_keygen(
            [
                "-Y",
                "verify",
                "-f",
                str(allowed_signers),
                "-I",
                principal,
                "-n",
                NAMESPACE,
                "-s",
                str(sig),
            ],
            manifest,
        )
        if checked.returncode != 0:
            raise ValueError(f"the signature does not match the manifest: {_reason(checked)}")
        return principal


def _ssh_keygen(arguments: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["ssh-keygen", *arguments], input=stdin, capture_output=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise UsageError("ssh-keygen (OpenSSH) is needed to sign and verify manifests") from None


def _reason(result: subprocess.CompletedProcess[bytes]) -> str:
    text = (result.stderr or result.stdout).decode(errors="replace").strip()
    return text.splitlines()[-1] if text else f"exit status {result.returncode}"
