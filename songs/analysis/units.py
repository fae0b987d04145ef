"""How times and sizes read to a person: the one formatter for each, everywhere.

The engine's messages, the pages, the comment threads and (through attributes the
server renders) the browser all show times and sizes in these forms.
"""

from __future__ import annotations

import math


def clock(seconds: float) -> str:
    """A moment or a length as a player shows it: 3:07, or 1:02:07 from an hour on.

    Rounded down, as players count elapsed time.
    """
    whole = max(int(math.floor(seconds)), 0) if math.isfinite(seconds) else 0
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def size(size_bytes: int) -> str:
    """A file size in the unit people think in: 12 MB, 340 KB, 512 bytes."""
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / (1024 * 1024):.0f} MB"
    if size_bytes >= 1024:
        return f"{size_bytes / 1024:.0f} KB"
    return f"{size_bytes} bytes"
