"""Pages set in two columns of running text are read column by column.

A gutter is a vertical band, in the middle part of the text's width, that
only boxes spanning both columns (a title, a full-width paragraph) cross. It
is taken for a gutter between columns of running text only when the boxes on
each side are lines of text (at least MIN_LINES of them, MIN_CHARS characters
at the median) that fill their column (MIN_FILL of its width at the median):
the label and value columns of a form, or the cells of a table, are short and
uneven, and their rows are read across as before.

Boxes are dicts with "v" (position across lines) and "box" (left, top, right,
bottom, text), as ocr/rapid.py's group_lines makes them."""

from __future__ import annotations

import statistics

MIN_LINES = 3
MIN_CHARS = 8
MIN_FILL = 0.6
MIDDLE = (0.25, 0.75)  # where across the text's width a gutter may lie


def _gutter(boxes: list[dict]) -> float | None:
    """The x of the gutter between two columns of running text, if any."""
    left = min(b["box"][0] for b in boxes)
    right = max(b["box"][2] for b in boxes)
    width = right - left
    if width <= 0:
        return None
    best = None
    # candidate cuts: just right of each box's right edge, inside the middle part
    for cut in sorted({b["box"][2] + 1 for b in boxes}):
        if not MIDDLE[0] < (cut - left) / width < MIDDLE[1]:
            continue
        sides = _sides(boxes, cut)
        if sides is None:
            continue
        span = len(boxes) - len(sides[0]) - len(sides[1])
        if best is None or span < best[0]:
            best = (span, cut)
    return best[1] if best else None


def _sides(boxes: list[dict], cut: float) -> tuple[list[dict], list[dict]] | None:
    """The boxes left and right of `cut` when both look like a column of lines."""
    west = [b for b in boxes if b["box"][2] < cut]
    east = [b for b in boxes if b["box"][0] >= cut]
    if len(west) + len(east) < 0.6 * len(boxes):
        return None  # most boxes cross it: no gutter
    for side in (west, east):
        if len(side) < MIN_LINES:
            return None
        extent = max(b["box"][2] for b in side) - min(b["box"][0] for b in side)
        widths = [b["box"][2] - b["box"][0] for b in side]
        if statistics.median(widths) < MIN_FILL * extent:
            return None
        if statistics.median(len(b["box"][4]) for b in side) < MIN_CHARS:
            return None
    return west, east


def reading_blocks(boxes: list[dict]) -> list[list[dict]]:
    """The boxes in blocks to be read one after the other: all of them as one
    block on a page without columns; else, down the page, each run of spanning
    boxes, then the left column's boxes below it, then the right column's."""
    if len(boxes) < 2 * MIN_LINES:
        return [boxes]
    cut = _gutter(boxes)
    if cut is None:
        return [boxes]
    west, east = _sides(boxes, cut)
    column = {id(b): 0 for b in west} | {id(b): 1 for b in east}
    blocks: list[list[dict]] = []
    pending: tuple[list[dict], list[dict]] = ([], [])
    spanning: list[dict] = []
    for b in sorted(boxes, key=lambda b: b["v"]):
        side = column.get(id(b))
        if side is None:
            if pending[0] or pending[1]:
                blocks += [block for block in pending if block]
                pending = ([], [])
            spanning.append(b)
        else:
            if spanning:
                blocks.append(spanning)
                spanning = []
            pending[side].append(b)
    blocks += [block for block in (spanning, *pending) if block]
    return blocks
