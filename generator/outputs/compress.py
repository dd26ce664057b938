"""`PATH.gz` and `PATH.br` beside each larger text file, for servers that send them as they are."""

from __future__ import annotations

import struct
import zlib

import brotli

TEXT_ENDINGS = (".html", ".css", ".js", ".xml", ".atom", ".rss", ".json", ".ics", ".svg", ".txt")
THRESHOLD = 1024  # bytes: below this, compressing saves less than the headers it costs
# The gzip header of RFC 1952 with no name and no time, "best compression", "unknown OS":
# the same bytes from every Python and every machine, so a build stays reproducible.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def compress_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """FILES and a compressed copy of each text file over THRESHOLD, where it is smaller.

    A copy the theme already brought (`static/x.css.gz`) is kept as it is.
    """
    copies: dict[str, bytes] = {}
    for path, data in files.items():
        if not path.endswith(TEXT_ENDINGS) or len(data) <= THRESHOLD:
            continue
        gzipped = gzip_bytes(data)
        if len(gzipped) < len(data):
            copies[f"{path}.gz"] = gzipped
        # Brotli only where it beats gzip: a server sends it to nearly every browser instead.
        brotlied = brotli.compress(data, mode=brotli.MODE_TEXT, quality=11)
        if len(brotlied) < min(len(gzipped), len(data)):
            copies[f"{path}.br"] = brotlied
    merged = {**copies, **files}
    return {path: merged[path] for path in sorted(merged)}


def gzip_bytes(data: bytes) -> bytes:
    """DATA as a gzip file, level 9, with a fixed header."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _GZIP_HEADER + body + trailer
