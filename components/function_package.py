"""Deterministic zip packages of the Python Lambda functions under `functions/<name>/`.

The same sources give the same bytes on every run and machine, so a plan shows a code change
only when the code changed: entries are sorted, every entry has the timestamp 1980-01-01 00:00
(the earliest a zip can hold), mode 0644 and the Unix creator, and nothing is compressed (deflate
output depends on the zlib build, zlib-ng differs from zlib; stored bytes do not). Pure-Python
packages the function imports (`vendored`, by import name) are copied from this virtual
environment into the zip the same way; compiled files are refused, because the venv's platform
is not Lambda's arm64 runtime. `__pycache__`, `*.pyc` and dotfiles are never packaged.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from settings.stack_config import ROOT

FUNCTIONS_DIR = ROOT / "functions"
# Where the packages are written (ignored by git); a FileArchive path relative to the project,
# which is the Pulumi program's working directory.
BUILD_DIR = Path(".build") / "functions"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # a regular file, rw-r--r--: Lambda runs the code as another user than the owner
UNIX = 3
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


@dataclass(frozen=True)
class FunctionPackage:
    """A built package: where it is (relative to the project root) and its SHA-256."""

    path: Path
    data: bytes

    @property
    def sha256_base64(self) -> str:
        """The digest as Lambda reports it (`CodeSha256`) and `source_code_hash` expects it."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def build_package(source: Path, vendored: Sequence[str] = (), root: Path = ROOT) -> FunctionPackage:
    """Zip the function directory `source` (e.g. `functions/<name>/`) with the `vendored`
    packages at the top level and write it to `.build/functions/<name>.zip` under `root` (the
    project)."""
    name = source.name
    if not source.is_dir():
        raise ValueError(f"function {name}: no directory {source}")
    entries = dict(_tree(source, source))
    for module in vendored:
        for arcname, path in _vendored(module):
            if arcname in entries:
                raise ValueError(f"function {name}: {arcname} is both in the function and in vendored {module}")
            entries[arcname] = path
    data = zip_bytes((arcname, entries[arcname].read_bytes()) for arcname in entries)
    relative = BUILD_DIR / f"{name}.zip"
    _write_atomically(root / relative, data)
    return FunctionPackage(path=relative, data=data)


def zip_bytes(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of (name, content) pairs that depends on nothing but them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for arcname, content in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
            info.external_attr = FILE_MODE << 16
            info.create_system = UNIX
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, content)
    return buffer.getvalue()


def _tree(directory: Path, base: Path) -> Iterable[tuple[str, Path]]:
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(base)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file() and path.suffix != ".pyc":
            if path.suffix in COMPILED_SUFFIXES:
                raise ValueError(f"{relative}: compiled code cannot be packaged for Lambda's arm64 runtime")
            yield relative.as_posix(), path


def _vendored(module: str) -> Iterable[tuple[str, Path]]:
    """The files of an installed top-level module or package, named as it is imported."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None and not spec.submodule_search_locations:
        raise ValueError(f"vendored {module}: not installed in this environment (pin it in requirements-dev.txt)")
    if spec.submodule_search_locations:
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        yield from _tree(package_dir, package_dir.parent)
    else:
        path = Path(str(spec.origin))
        if path.suffix != ".py":
            raise ValueError(f"vendored {module}: {path.name} is not pure Python")
        yield path.name, path


def _write_atomically(path: Path, data: bytes) -> None:
    """Parallel synths (test workers) may build the same package: each writes a temporary file
    and renames it, so no reader ever sees half a zip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_bytes() == data:
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
