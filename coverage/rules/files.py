"""Reading the rules directory into memory without trusting what is in it.

Only plain `.yaml`/`.yml` files inside the directory are read, each at most MAX_FILE_BYTES. A
symbolic link that leads outside the directory, a special file (FIFO, device, socket) and an
oversized file are refused by path, never opened or read whole: a FIFO would block the reader
and a link to /proc/self/environ would publish the environment in an error message.
Hidden files and editor leftovers (names starting with "." or ending with "~") are skipped.
"""

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from coverage.rules.errors import RuleFileError

MAX_FILE_BYTES = 1024 * 1024
MAX_FOLDER_DEPTH = 8  # payers/, coverage/ ... are one level; deeper is a mistake (or a trap)
SUFFIXES = (".yaml", ".yml")  # in any case: COPY.YAML is read too


@dataclass(frozen=True)
class RuleSource:
    """The bytes of every rule file of one rule book, by path relative to its directory.

    `root` is the directory's name, which prefixes every path shown to operators
    ("payer_rules/payers/acme.yaml"). The same value comes from a directory or from a stored
    snapshot, so both load the same way."""

    root: str
    files: Mapping[PurePosixPath, bytes]

    def display(self, relative: PurePosixPath | Path) -> str:
        return f"{self.root}/{relative.as_posix()}"

    @property
    def version(self) -> str:
        """The content address of the whole book: SHA-256 over each path and its file's SHA-256."""
        digest = hashlib.sha256()
        for relative in sorted(self.files):
            file_hash = hashlib.sha256(self.files[relative]).hexdigest()
            digest.update(f"{relative.as_posix()}\0{file_hash}\n".encode())
        return digest.hexdigest()


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _too_large(size: int) -> str:
    return (
        f"{size:,} bytes, over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit for a rule file; "
        "split it or remove it"
    )


def _read(path: Path, display: str) -> bytes:
    """One regular file, refused before reading when it is special or too large."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise RuleFileError(
                display, None, f"{_kind_of(mode)}: rule files must be plain files; remove it"
            )
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() still returns.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise RuleFileError(
            display, None, "disappeared while it was read, or is a broken link"
        ) from None
    except OSError as exc:
        raise RuleFileError(display, None, f"cannot be read: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise RuleFileError(
                display, None, f"{_kind_of(opened.st_mode)}: rule files must be plain files"
            )
        if opened.st_size > MAX_FILE_BYTES:
            raise RuleFileError(display, None, _too_large(opened.st_size))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RuleFileError(display, None, f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:  # it grew while it was read
        raise RuleFileError(display, None, _too_large(len(raw)))
    return raw


def _skipped(name: str) -> bool:
    return name.startswith(".") or name.endswith("~")


def read_directory(rules_dir: Path) -> tuple[RuleSource, list[RuleFileError]]:
    """Every rule file's bytes, and a RuleFileError for each file that may not be read."""
    root_name = rules_dir.name or str(rules_dir)
    if not rules_dir.is_dir():
        missing = RuleFileError(f"{rules_dir}/", None, "no such directory")
        return RuleSource(root=root_name, files={}), [missing]
    root = rules_dir.resolve()
    files: dict[PurePosixPath, bytes] = {}
    errors: list[RuleFileError] = []
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        for name in list(dirnames):
            path = here / name
            shown = f"{root_name}/{_relative(path, root)}/"
            if depth + 1 > MAX_FOLDER_DEPTH:
                errors.append(
                    RuleFileError(
                        shown, None, f"folders nested deeper than {MAX_FOLDER_DEPTH} are not read"
                    )
                )
                dirnames.remove(name)
            # os.walk does not enter linked folders; one that leads outside is named, one that
            # stays inside is read where it really is.
            elif path.is_symlink() and _outside(path, root):
                errors.append(
                    RuleFileError(shown, None, _outside(path, root) + "; copy the files in instead")
                )
        for name in sorted(filenames):
            if _skipped(name) or not name.lower().endswith(SUFFIXES):
                continue
            path = here / name
            relative = PurePosixPath(_relative(path, root))
            display = f"{root_name}/{relative}"
            if not _utf8(name):
                errors.append(
                    RuleFileError(display, None, "the file name is not UTF-8 text; rename it")
                )
                continue
            if path.is_symlink() and _outside(path, root):
                errors.append(
                    RuleFileError(
                        display, None, _outside(path, root) + "; copy the file in instead"
                    )
                )
                continue
            try:
                files[relative] = _read(path, display)
            except RuleFileError as exc:
                errors.append(exc)
    return RuleSource(root=root_name, files=files), errors


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes the file system kept as surrogates
        return False
    return True


def _relative(path: Path, root: Path) -> str:
    """The path below the root, printable whatever bytes the name holds."""
    return path.relative_to(root).as_posix().encode("utf-8", "replace").decode("utf-8")


def _outside(path: Path, root: Path) -> str:
    """Why a symbolic link may not be followed ("" when it may)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken symbolic link, or a loop of links"
    if not target.is_relative_to(root):
        return "a symbolic link that leads outside the rules directory"
    return ""
