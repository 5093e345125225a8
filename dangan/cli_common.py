"""Helpers shared by the CLI modules."""

from __future__ import annotations

import json
import sys


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def open_archive(*, catch_up: bool = True):
    from dangan.archive import Archive
    from dangan.config import Settings

    return Archive.open(Settings.from_env(), catch_up=catch_up)
