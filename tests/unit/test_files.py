"""Byte caps on file imports (edp.files): refused at once, before decoding or parsing, and never
read further than the cap, whatever the file is (a device, a pipe, a file object)."""

from __future__ import annotations

import io
import os
import threading
import tomllib
import tracemalloc
from pathlib import Path

import pytest

from edp import files, imports
from edp.access import SYSTEM
from edp.errors import ValidationError
from edp.workshop.registrations import import_registrations
from tests.conftest import table_counts
from tests.factory import make_setup

ROOT = Path(__file__).resolve().parents[2]


def test_a_file_within_the_cap_is_read_whole(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(b"x" * 100)
    assert files.read_capped(path, 100) == b"x" * 100
    assert files.read_capped(io.BytesIO(b"abc"), 3) == b"abc"


def test_a_file_one_byte_over_the_cap_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (2 * files.MB + 1))
    with pytest.raises(ValidationError) as info:
        files.read_capped(path, 2 * files.MB)
    err = info.value
    assert (err.key, err.field, err.params["max"]) == ("file.too_big", "file", 2)
    assert err.message("sv") == "Filen är för stor: den får vara högst 2 MB. Inget har lästs in."
    assert err.message("en") == "The file is too big: it may be at most 2 MB. Nothing was read in."


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_after_reading_the_cap_and_one_byte():
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as info:
            files.read_capped("/dev/zero", files.XLSX_MAX_BYTES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.key == "file.too_big" and info.value.params["max"] == 5
    assert peak < 2 * files.XLSX_MAX_BYTES  # the cap and a copy at most, not what the device offers


def test_an_endless_pipe_is_refused_without_reading_it_to_the_end():
    read_end, write_end = os.pipe()
    stop = threading.Event()

    def feed() -> None:
        with open(write_end, "wb") as w:
            try:
                while not stop.is_set():
                    w.write(b"a" * 65536)
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with open(read_end, "rb") as r, pytest.raises(ValidationError) as info:
            files.read_capped(r, files.CSV_MAX_BYTES)
    finally:
        stop.set()
        writer.join(timeout=10)
    assert info.value.key == "file.too_big"


def test_pasted_text_over_the_cap_is_refused_with_its_length():
    with pytest.raises(ValidationError) as info:
        files.check_size("a" * 11, 10, field="csv")
    err = info.value
    assert (err.key, err.params["max"], err.params["length"]) == ("file.text_too_long", 10, 11)
    assert "10" in err.message("sv") and "11" in err.message("sv")


def test_the_shipped_upload_limit_is_what_the_biggest_import_needs():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["maxUploadSize"] == files.UPLOAD_MAX_MB == 5
    from edp.roadmap import io as roadmap_io

    assert max(files.CSV_MAX_BYTES, roadmap_io.MAX_BYTES) <= files.UPLOAD_MAX_MB * files.MB


def huge_invalid_utf8(size: int) -> bytes:
    """Not UTF-8: a decoder would refuse it as such, so a size refusal shows it was not decoded."""
    return b"\xff" * size


def test_a_registration_csv_over_the_cap_is_refused_before_decoding_and_nothing_written(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    data = huge_invalid_utf8(20 * files.MB)
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as info:
            import_registrations(engine, s.fac, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (info.value.key, info.value.params["max"]) == ("file.too_big", 2)
    assert peak < files.MB  # no decoded copy, no rows: the 158 MB file took the server to 2.9 GB
    assert table_counts(engine) == before


def test_an_actor_csv_over_the_cap_is_refused_before_decoding_and_parsing():
    with pytest.raises(ValidationError) as info:
        imports.decode_csv(huge_invalid_utf8(files.CSV_MAX_BYTES + 1))
    assert (info.value.key, info.value.field) == ("file.too_big", "csv")
    with pytest.raises(ValidationError) as info:
        imports.parse_actor_csv("name,helix\n" + "x" * files.CSV_MAX_BYTES)
    assert (info.value.key, info.value.field) == ("file.text_too_long", "csv")


def test_an_actor_import_over_the_cap_writes_nothing(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    with pytest.raises(ValidationError) as info:
        imports.import_actors(
            engine, SYSTEM, s.process_id, "name,helix\n" + "Ny AB,business\n" * (files.CSV_MAX_BYTES // 10)
        )
    assert info.value.key == "file.text_too_long"
    assert table_counts(engine) == before
