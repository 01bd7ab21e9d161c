"""Function packages: the same sources give the same zip bytes on every run and machine."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from components.function_package import ZIP_EPOCH, build_package, zip_bytes


@pytest.fixture
def function_dir(tmp_path: Path) -> Path:
    source = tmp_path / "functions" / "probe"
    (source / "lib").mkdir(parents=True)
    (source / "handler.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    (source / "lib" / "helpers.py").write_text("VALUE = 1\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00compiled")
    (source / ".env").write_text("LOCAL=1\n")
    return source


def entries(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def test_the_same_content_always_zips_to_the_same_known_bytes():
    # A digest recorded once: a zip that embedded the clock, the machine or its zlib would differ.
    data = zip_bytes([("handler.py", b"print('hi')\n"), ("a/b.py", b"")])
    assert hashlib.sha256(data).hexdigest() == "0c55c349c4b3203901cb67b76f7017c249f40469869cad6c9e0e403d4f4b75a6"


def test_entries_are_sorted_stored_dated_1980_and_world_readable(function_dir, tmp_path):
    package = build_package(function_dir, root=tmp_path)
    infos = entries(package.data)
    assert [i.filename for i in infos] == ["handler.py", "lib/helpers.py"]
    for info in infos:
        assert info.date_time == ZIP_EPOCH
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.create_system == 3


def test_file_times_and_modes_on_disk_do_not_change_the_bytes(function_dir, tmp_path):
    first = build_package(function_dir, root=tmp_path).data
    handler = function_dir / "handler.py"
    os.utime(handler, (1_900_000_000, 1_900_000_000))
    handler.chmod(0o700)
    assert build_package(function_dir, root=tmp_path).data == first


def test_a_code_change_changes_the_digest(function_dir, tmp_path):
    before = build_package(function_dir, root=tmp_path).sha256_base64
    (function_dir / "handler.py").write_text("def handler(event, context):\n    return {'ok': False}\n")
    assert build_package(function_dir, root=tmp_path).sha256_base64 != before


def test_a_code_change_rewrites_the_package_on_disk(function_dir, tmp_path):
    # Pulumi uploads the file while the plan shows the digest: both must be the new code's.
    build_package(function_dir, root=tmp_path)
    (function_dir / "handler.py").write_text("def handler(event, context):\n    return {'ok': False}\n")
    package = build_package(function_dir, root=tmp_path)
    assert (tmp_path / package.path).read_bytes() == package.data


def test_the_package_is_renamed_into_place_from_a_hidden_temporary_beside_it(function_dir, tmp_path, monkeypatch):
    """A rename is atomic only within one file system, so the temporary is made in the build
    directory (not in TMPDIR), hidden and named after the package it becomes."""
    renames = []
    replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: renames.append((Path(src), Path(dst))) or replace(src, dst))
    package = build_package(function_dir, root=tmp_path)
    [(temporary, target)] = renames
    assert target == tmp_path / package.path
    assert temporary.parent == target.parent
    assert temporary.name.startswith(".probe.zip.")


def test_the_package_is_written_under_the_build_directory(function_dir, tmp_path):
    package = build_package(function_dir, root=tmp_path)
    assert package.path == Path(".build/functions/probe.zip")
    assert (tmp_path / package.path).read_bytes() == package.data


def test_vendored_packages_are_copied_from_the_environment_without_bytecode(function_dir, tmp_path):
    names = [i.filename for i in entries(build_package(function_dir, ["pg8000", "six"], root=tmp_path).data)]
    assert "pg8000/__init__.py" in names
    assert "six.py" in names
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]


def test_bytecode_is_never_packaged(function_dir, tmp_path):
    # What an interrupted bytecode write leaves in __pycache__ (importlib writes `<name>.pyc.<id>`
    # and renames it), and a legacy .pyc beside its source (`python -m compileall -b`).
    (function_dir / "__pycache__" / "helpers.cpython-311.pyc.140234567").write_bytes(b"\x00partial")
    (function_dir / "lib" / "helpers.pyc").write_bytes(b"\x00compiled")
    names = [i.filename for i in entries(build_package(function_dir, root=tmp_path).data)]
    assert names == ["handler.py", "lib/helpers.py"]


def test_a_missing_function_directory_is_named(tmp_path):
    with pytest.raises(ValueError, match="^function missing: no directory .*/functions/missing$"):
        build_package(tmp_path / "functions" / "missing", root=tmp_path)


def test_a_file_both_in_the_function_and_vendored_is_refused(function_dir, tmp_path):
    (function_dir / "six.py").write_text("# the function's own six\n")
    with pytest.raises(ValueError, match="^function probe: six.py is both in the function and in vendored six$"):
        build_package(function_dir, ["six"], root=tmp_path)


def test_a_vendored_namespace_package_is_copied(function_dir, tmp_path, monkeypatch):
    # A namespace package (no __init__.py, PEP 420) has no origin, only its directories.
    site = tmp_path / "site"
    (site / "probe_ns").mkdir(parents=True)
    (site / "probe_ns" / "part.py").write_text("VALUE = 2\n")
    monkeypatch.syspath_prepend(str(site))
    names = [i.filename for i in entries(build_package(function_dir, ["probe_ns"], root=tmp_path).data)]
    assert names == ["handler.py", "lib/helpers.py", "probe_ns/part.py"]


def test_a_vendored_compiled_module_is_refused_by_name(function_dir, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "probe_native.so").write_bytes(b"\x7fELF")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ValueError, match="^vendored probe_native: probe_native.so is not pure Python$"):
        build_package(function_dir, ["probe_native"], root=tmp_path)


def test_a_missing_vendored_package_is_refused(function_dir, tmp_path):
    with pytest.raises(ValueError, match="not installed"):
        build_package(function_dir, ["no_such_package_here"], root=tmp_path)


def test_compiled_code_is_refused(function_dir, tmp_path):
    (function_dir / "native.so").write_bytes(b"\x7fELF")
    with pytest.raises(ValueError, match="compiled code"):
        build_package(function_dir, root=tmp_path)
