"""Byte caps on every file the app or the command line reads in, checked before anything is
decoded or parsed: a file over its cap is refused at once, and never read further than the cap.

The largest cap an upload needs (the roadmap workbook) is Streamlit's `server.maxUploadSize` in
.streamlit/config.toml, so the server itself refuses a bigger upload before the app sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from edp.errors import ValidationError

MB = 1024 * 1024
# Registration and actor lists: at most 2,000 rows (edp.csvfile / edp.imports MAX_ROWS) of a
# name, an organisation and a helix group, a few hundred bytes each even in UTF-8.
CSV_MAX_BYTES = 2 * MB
# A roadmap workbook in the export layout (edp.roadmap.io, which also caps its unpacked size).
XLSX_MAX_BYTES = 5 * MB
# A whole-database backup (edp.backup): the demo is 0.3 MB; a region's years of workshops a few MB.
BACKUP_MAX_BYTES = 256 * MB
# The largest upload the app takes: .streamlit/config.toml server.maxUploadSize, in MB.
UPLOAD_MAX_MB = max(CSV_MAX_BYTES, XLSX_MAX_BYTES) // MB


def megabytes(max_bytes: int) -> int:
    return max(1, max_bytes // MB)


def check_size(data: bytes | bytearray | memoryview | str, max_bytes: int, *, field: str = "file") -> None:
    """Refuse data over the cap (text is measured in characters: each is at least one byte)."""
    if isinstance(data, str):
        if len(data) > max_bytes:
            raise ValidationError("file.text_too_long", field=field, max=max_bytes, length=len(data))
        return
    if len(data) > max_bytes:
        raise ValidationError("file.too_big", field=field, max=megabytes(max_bytes))


def read_capped(source: str | Path | BinaryIO, max_bytes: int, *, field: str = "file") -> bytes:
    """The bytes of a file (a path or an open binary file), reading at most max_bytes + 1 of them.

    Whatever the file claims to be (a device such as /dev/zero, a pipe, a file that grows while
    it is read), no more than the cap and one byte is ever held; a file over the cap is refused.
    """
    if isinstance(source, str | Path):
        with open(source, "rb") as f:
            data = f.read(max_bytes + 1)
    else:
        data = source.read(max_bytes + 1)
    check_size(data, max_bytes, field=field)
    return data
