"""Files written whole or not at all: a partial file under a hidden name, renamed over the target once
complete, so a reader (or a crash) never sees half a report, bundle or backup."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def partial_name(out: Path) -> Path:
    """Where `out` is written before it is complete: beside it, hidden, unique to this process."""
    return out.with_name(f".{out.name}.{os.getpid()}.partial")


def write_atomically(out: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(partial)` to write the file, then rename it to `out`; on any failure the partial file
    is removed and `out` is left as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(out)
    partial.unlink(missing_ok=True)
    try:
        write(partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out


def write_bytes_atomically(out: str | os.PathLike, content: bytes) -> Path:
    """`content` into `out`, whole or not at all."""
    return write_atomically(out, lambda partial: partial.write_bytes(content))
