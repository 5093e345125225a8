"""What dangan's OCRmyPDF plugins hand back to the engine, page by page.

The contract. The engine (ocr/tesseract.py) names a folder with the plugin
option `dangan_results` (command line: `--dangan-results DIR`; it must exist).
In that folder, and nowhere else:

- `ocr/ocr_input.py` saves the image OCR reads for page N (numbered from 1) as
  `NNNN.jpg` (four digits, greyscale, half resolution; written under a
  temporary name and renamed), then appends to the manifest
  `{"page": N, "image": "NNNN.jpg", "blank": false}`: the page is under way,
  and whether it was found blank (OCR was then given an empty page); with
  `"seal_images": ["NNNN-seal1.png", …]` when red seals were found on it:
  the text round each, straightened (greyscale PNG), for the engine to read;
- `ocr/rapid.py` appends `{"page": N, "turn": 90}` when it read page N turned:
  the page is shown upright once turned that many degrees clockwise; and
  `{"page": N, "seals": ["福州市医疗保障局", …]}`, the text it read round the
  page's seals (盖章单位).

The manifest is `pages.jsonl` (MANIFEST): one JSON object per line, each
appended with a single write to the file opened for appending, since several
OCRmyPDF worker processes write at once. A page OCRmyPDF did not OCR (it
carried text) has no line. The engine reads the manifest by name: while
OCRmyPDF runs, to count the pages under way (a last line still being written
is left for the next look), and once it has returned, for the results
(`read`). No other file in the folder is looked for.

Both sides import this module; it imports nothing heavy (the engine's process
never loads OCRmyPDF)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "pages.jsonl"


def image_name(page: int) -> str:
    """The file name of page `page`'s OCR image (pages numbered from 1)."""
    return f"{page:04d}.jpg"


def seal_name(page: int, k: int) -> str:
    """The file name of the text round page `page`'s seal number `k` (from 1)."""
    return f"{page:04d}-seal{k}.png"


def seal_images(folder: str | os.PathLike, page: int) -> list[Path]:
    """The straightened seal texts ocr/ocr_input.py saved for page `page`."""
    folder = Path(folder)
    return [
        folder / name
        for line in _lines(folder)
        if int(line["page"]) == page
        for name in line.get("seal_images", ())
    ]


def fresh_folder(folder: Path) -> Path:
    """`folder`, made if needed, without the manifest of an earlier run."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    return folder


def append(folder: str | os.PathLike, page: int, **facts: object) -> None:
    """Add one line about page `page` (numbered from 1) to the manifest."""
    line = json.dumps({"page": page, **facts}, ensure_ascii=False) + "\n"
    fd = os.open(Path(folder) / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@dataclass
class PageResults:
    images: dict[int, Path] = field(default_factory=dict)  # page -> what OCR read
    blank: list[int] = field(default_factory=list)  # pages found blank, ascending
    turns: dict[int, int] = field(default_factory=dict)  # page -> degrees clockwise
    seals: dict[int, list[str]] = field(default_factory=dict)  # page -> text round its seals

    @property
    def started(self) -> int:
        """Pages whose OCR is under way or done."""
        return len(self.images)


def _lines(folder: Path) -> list[dict]:
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    # the last line may still be being written: only whole lines count
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def read(folder: str | os.PathLike) -> PageResults:
    """The results the plugins have written to `folder` so far."""
    folder = Path(folder)
    out = PageResults()
    blank = set()
    for line in _lines(folder):
        page = int(line["page"])
        if "image" in line:
            out.images[page] = folder / line["image"]
        if line.get("blank"):
            blank.add(page)
        if line.get("turn"):
            out.turns[page] = int(line["turn"])
        if line.get("seals"):
            out.seals[page] = [str(t) for t in line["seals"]]
    out.blank = sorted(blank)
    return out
