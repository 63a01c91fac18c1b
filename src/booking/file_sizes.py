"""One way to write a file's size, everywhere: MB = 1,000,000 bytes and KB = 1,000 bytes, as the
Mac Finder and phones show them. Limits are set in the same units, so "up to 5 MB" means 5,000,000
bytes and a file the computer calls 6.0 MB is reported as 6.0 MB, never as a smaller binary figure."""

from __future__ import annotations

import math

KILOBYTE = 1_000
MEGABYTE = 1_000_000


def format_file_size(size: int, *, round_up: bool = False) -> str:
    """`round_up` for a file over a limit: 5,000,001 bytes reads "5.1 MB", never "5.0 MB" beside "the limit is 5 MB"."""
    rounding = math.ceil if round_up else round
    if size >= MEGABYTE:
        return f"{rounding(size * 10 / MEGABYTE) / 10:.1f} MB"
    if size >= KILOBYTE:
        return f"{max(1, rounding(size / KILOBYTE))} KB"
    return f"{size} bytes"
