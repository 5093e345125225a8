"""SHA-256 and SM3 (国密, GB/T 32905-2016) over one pass of the bytes.

SM3 comes from the `cryptography` package (its wheel carries OpenSSL, which
implements SM3), so no hand-written hash and no system OpenSSL build matters."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


class Digests:
    def __init__(self):
        from cryptography.hazmat.primitives import hashes

        self._sha = hashlib.sha256()
        self._sm3 = hashes.Hash(hashes.SM3())
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._sha.update(chunk)
        self._sm3.update(chunk)
        self.size += len(chunk)

    def finish(self) -> tuple[str, str]:
        """(sha256, sm3) as hex; the object cannot be updated after."""
        return self._sha.hexdigest(), self._sm3.finalize().hex()


def digest_chunks(chunks: Iterable[bytes]) -> tuple[str, str, int]:
    d = Digests()
    for chunk in chunks:
        d.update(chunk)
    sha, sm3 = d.finish()
    return sha, sm3, d.size


def sm3_hex(data: bytes) -> str:
    return digest_chunks([data])[1]
