"""Our block inside an activity description: found, replaced, never duplicated.

The athlete's own text before and after the block is kept byte for byte.
Platforms are inconsistent about line endings (Strava hands descriptions back
with ``\\r\\n``), so the block is located by its marker lines whatever their
line ending, is written with the line ending the description already uses,
and two blocks are compared with line endings normalised.
"""

from __future__ import annotations

import hashlib
import re

BEGIN = "[pose-sync]"
END = "[/pose-sync]"

# A whole block: begin marker line through end marker line (inclusive of the
# end marker's own line break, if any). Markers must stand on their own lines.
_BLOCK = re.compile(
    r"(?m)^[ \t]*" + re.escape(BEGIN) + r"[ \t]*\r?\n.*?^[ \t]*" + re.escape(END) + r"[ \t]*(?:\r?\n|$)",
    re.DOTALL,
)


def normalise(text: str) -> str:
    """Line endings to ``\\n`` and no trailing whitespace, for comparisons only."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()


def render_block(body: str, newline: str = "\n") -> str:
    """The body between our markers, with the given line ending."""
    lines = [BEGIN, *normalise(body).split("\n"), END]
    return newline.join(lines)


def content_hash(body: str) -> str:
    """Hash of a note body as the ledger records it (line endings normalised)."""
    return hashlib.sha256(normalise(body).encode()).hexdigest()


def extract(description: str | None) -> str | None:
    """The body of our block in a description, or None when there is none."""
    match = _BLOCK.search(description or "")
    if match is None:
        return None
    lines = normalise(match.group(0)).split("\n")
    return "\n".join(lines[1:-1])


def _newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def merge(description: str | None, body: str) -> str:
    """The description with our block set to ``body``.

    The first existing block is replaced in place; any further copies (left by
    a hand edit or another tool) are removed so the block is never doubled.
    Without a block, ours is appended after a blank line. Everything the
    athlete wrote outside our markers is left exactly as it was.
    """
    text = description or ""
    newline = _newline_of(text)
    matches = list(_BLOCK.finditer(text))
    if not matches:
        if not text.strip():
            return render_block(body, newline)
        separator = "" if text.endswith(newline * 2) else (newline if text.endswith(("\n", "\r")) else newline * 2)
        return text + separator + render_block(body, newline)
    first = matches[0]
    trailing = first.group(0)[len(first.group(0).rstrip("\r\n")):]
    pieces = [text[: first.start()], render_block(body, newline) + trailing]
    position = first.end()
    for extra in matches[1:]:
        pieces.append(text[position: extra.start()])
        position = extra.end()
    pieces.append(text[position:])
    return "".join(pieces)


def is_current(description: str | None, body: str) -> bool:
    """True when the description already carries exactly this body (and only once)."""
    text = description or ""
    found = _BLOCK.findall(text)
    return len(found) == 1 and extract(text) == normalise(body)


def athlete_text(description: str | None) -> str:
    """The description without our block(s): what the athlete wrote (for reading pain reports)."""
    return _BLOCK.sub("", description or "")
