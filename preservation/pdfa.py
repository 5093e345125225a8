"""PDF/A validation with veraPDF (KY-03), when scripts/verapdf.sh has put it
in DANGAN_VERAPDF: one JVM validates a batch of files. Without it the check
falls back to the structural one in formats.py, and the report says so."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 600


@dataclass(frozen=True)
class VeraResult:
    compliant: bool
    flavour: str | None
    failed: tuple[str, ...]  # "rule: text", the first few
    error: str | None = None


class VeraPdf:
    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None

    @property
    def available(self) -> bool:
        return bool(
            self.folder
            and (self.folder / "classpath.txt").is_file()
            and (self.folder / "classes" / "VeraCheck.class").is_file()
            and shutil.which("java")
        )

    def validate(self, documents: dict[str, bytes]) -> dict[str, VeraResult]:
        """key -> result for each PDF given as bytes."""
        if not documents or not self.available:
            return {}
        assert self.folder is not None
        classpath = (self.folder / "classpath.txt").read_text().strip()
        with tempfile.TemporaryDirectory(prefix="verapdf-") as tmp:
            paths = {}
            for n, (key, data) in enumerate(documents.items()):
                path = Path(tmp) / f"{n:06d}.pdf"
                path.write_bytes(data)
                paths[str(path)] = key
            proc = subprocess.run(
                ["java", "-Xss4m", "-cp", f"{self.folder / 'classes'}:{classpath}", "VeraCheck",
                 *paths],
                capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
            )  # fmt: skip
        out = {}
        for line in proc.stdout.splitlines():
            if not line.startswith("{"):
                continue
            row = json.loads(line)
            failed = tuple(f"{f['rule']}：{f['text']}" for f in row.get("failed", [])[:5])
            out[paths[row["file"]]] = VeraResult(
                bool(row.get("compliant")), row.get("flavour"), failed, row.get("error")
            )
        return out
