"""Finding record files and reading their bytes safely.

Record files come from strangers' pull requests: a symlink could point at
/etc/passwd or /dev/zero, a FIFO would block the read forever, a huge file
would exhaust memory. Each file is lstat'ed before it is opened, read with a
size limit and decoded strictly; every refusal is an `Issue`, never an exception.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath

from ..issues import Issue
from .yaml import FORBIDDEN_CHARACTERS, describe_character, file_issue, line_col

BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark

MAX_FILE_BYTES = 1024 * 1024  # a claims file for one long article stays far below this
RECORD_SUFFIXES = (".yaml", ".yml")


def record_files(root: Path, directory: str) -> list[tuple[Path, str]]:
    """(absolute path, repo-relative posix path) of every record file in `<root>/<directory>`, sorted by name.

    A folder linked out of the repository is never read (`folder_issues` reports it).
    """
    folder = root / directory
    if not folder.is_dir() or not folder.resolve().is_relative_to(root.resolve()):
        return []
    names = sorted(name for name in os.listdir(folder) if _is_record_name(name) and not _name_problem(name))
    return [(folder / name, f"{directory}/{name}") for name in names]


def _is_record_name(name: str) -> bool:
    return name.endswith(RECORD_SUFFIXES) and not name.startswith(".")


def _name_problem(name: str) -> str | None:
    """Why a file name cannot name a record, if it cannot: bytes that are not UTF-8 (which `os.listdir` hands over
    as lone surrogates, `os.fsdecode`'s escape) or a control character. A record's name is its ID (or, for a
    grouped table, a field's value), so it obeys the rules of text in a record."""
    bad = FORBIDDEN_CHARACTERS.search(name) or re.search("[\t\n\r]", name)
    if bad is None:
        return None
    code = ord(bad.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"the file name is not valid UTF-8 (byte 0x{code - 0xDC00:02x})"
    return f"the file name holds {describe_character(bad.group())}"


def _repo_root(file: Path, path: str) -> Path | None:
    """The repository root: `file` is `<root>/<path>`."""
    depth = len(PurePosixPath(path).parts)
    return file.parents[depth - 1] if 0 < depth <= len(file.parents) else None


def file_problem(file: Path, path: str, st: os.stat_result) -> Issue | None:
    """Why a record path (lstat'ed) is not a small regular file inside the repository, if it is not.

    Record files come from strangers' pull requests: a symlink could point at
    /etc/passwd or /dev/zero, a FIFO would block the read forever.
    """
    if stat.S_ISLNK(st.st_mode):
        root = _repo_root(file, path)
        try:
            target = file.resolve(strict=True)
            inside = root is not None and target.is_relative_to(root.resolve())
            st = os.stat(target)
        except (OSError, RuntimeError):  # dangling link or a loop
            return file_issue("wrong-file-type", path, "is a symlink that leads nowhere", hint="replace it with the record file itself")
        if not inside:
            return file_issue("file-outside-repo", path, "is a symlink to a file outside the repository",
                          hint="commit the record file itself, not a link")
    if stat.S_ISDIR(st.st_mode):
        return file_issue("wrong-file-type", path, "is a directory, not a file", hint="record folders hold files only; move its records up")
    if not stat.S_ISREG(st.st_mode):
        return file_issue("wrong-file-type", path, "is not a regular file (a FIFO, socket or device)", hint="replace it with a YAML file")
    if st.st_size > MAX_FILE_BYTES:
        return file_issue("file-too-large", path, f"file is {st.st_size} bytes; the limit is {MAX_FILE_BYTES}",
                      hint="split the records over several files")
    return None


def folder_issues(folder: Path, rel: str, other_files_ok: bool = False) -> list[Issue]:
    """Problems with a record folder as a whole: it is a file, or holds files that will not be read.

    A record saved as `x.YAML`, `.x.yaml`, `x.yaml.bak` or in a subfolder would
    silently drop out of the release; each gets a `stray-file` warning.
    `other_files_ok` for sources/, which also holds the archived texts.
    """
    if not folder.exists() and not folder.is_symlink():
        return []
    if not folder.is_dir():
        return [file_issue("wrong-file-type", rel, "is a file, not a folder", hint=f"{rel}/ must be a folder of record files")]
    root = _repo_root(folder, rel)
    if root is not None and not folder.resolve().is_relative_to(root.resolve()):
        return [file_issue("file-outside-repo", rel, "is a symlink to a folder outside the repository; its files are not read",
                       hint=f"make {rel}/ a real folder in the repository")]
    issues = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        name = entry.name
        if _is_record_name(name):
            problem = _name_problem(name)
            if problem:
                issues.append(file_issue("bad-file-name", f"{rel}/{name}", f"is not read: {problem}",
                                         hint="rename the file to <id>.yaml, with the record's ID (lowercase letters, digits and hyphens)"))
            continue  # otherwise read as a record
        lower = name.lower()
        looks_like_record = ".yaml" in lower or ".yml" in lower
        if entry.is_dir(follow_symlinks=False) and not name.startswith("."):
            why = "is a subfolder; records in it are not read"
        elif looks_like_record:
            why = "is not read: records are files named <id>.yaml (not hidden, lower-case extension)"
        elif not other_files_ok and not name.startswith("."):
            why = "is not a record file and is not read"
        else:
            continue
        issues.append(Issue(code="stray-file", message=why, path=f"{rel}/{name}", severity="warning",
                            hint="rename it to <id>.yaml, move it out of the record folder, or delete it"))
    return issues


def _read_bytes(file: Path) -> bytes:
    """The file's bytes, up to one past the size limit (enough to refuse a file that grew since its stat)."""
    fd = os.open(file, os.O_RDONLY)
    try:
        data = os.read(fd, MAX_FILE_BYTES + 1)
        while data and len(data) <= MAX_FILE_BYTES:  # a short read is not the end of the file until read says so
            more = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
            if not more:
                break
            data += more
        return data
    finally:
        os.close(fd)


def read_text(file: Path, path: str) -> tuple[str | None, list[Issue]]:
    """Read a record file's bytes and decode them, refusing what is not small UTF-8 text."""
    try:
        problem = file_problem(file, path, os.lstat(file))
        if problem:
            return None, [problem]
        data = _read_bytes(file)
    except OSError as exc:
        return None, [file_issue("wrong-file-type", path, f"cannot read file: {exc.strerror}")]
    if len(data) > MAX_FILE_BYTES:  # grew since the stat
        return None, [file_issue("file-too-large", path, f"file is over {MAX_FILE_BYTES} bytes", hint="split the records over several files")]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = line_col(data, nul)
        return None, [file_issue("binary-file", path, "file contains NUL bytes; it is not a text file", line, column,
                             "record files are UTF-8 YAML (not UTF-16, not binary)")]
    if data.startswith(BOM):
        return None, [file_issue("byte-order-mark", path, "file starts with a UTF-8 byte-order mark", 1, 1, "save the file as UTF-8 without BOM")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_col(data, exc.start)
        return None, [file_issue("encoding-error", path, f"byte 0x{data[exc.start]:02x} is not valid UTF-8", line, column, "save the file as UTF-8")]
    return text, []


def text_problem(data: bytes) -> tuple[str, str] | None:
    """(code, message) when an archived source text is not plain UTF-8 text, else None.

    The characters no record value may hold (`read.yaml.FORBIDDEN_CHARACTERS`: controls, a byte-order mark
    anywhere, non-characters) are refused here too: a quote's span of the text is published.
    """
    if data.startswith(BOM):
        return "byte-order-mark", "starts with a UTF-8 byte-order mark"
    text = data.decode("utf-8", "replace")
    found = FORBIDDEN_CHARACTERS.search(text)
    if found:
        code, at = ord(found.group()), len(text[: found.start()].encode("utf-8"))
        return "binary-file", f"holds {f'the control byte 0x{code:02x}' if code < 0x20 or code == 0x7F else f'U+{code:04X}'} at byte {at}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "encoding-error", f"is not valid UTF-8 (byte {exc.start})"
    return None


def stray_folders(spec) -> list[Issue]:
    """Folders beside the table folders (under `tables/`) that no table reads: their records would silently drop out."""
    known = {t.directory for t in spec.record_tables()}
    parents = sorted({str(PurePosixPath(d).parent) for d in known} - {"."})
    issues = []
    for parent in parents:
        folder = spec.root / parent
        if not folder.is_dir():
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            rel = f"{parent}/{os.fsdecode(entry.name)}"
            if rel in known or entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                tables = ", ".join(sorted(PurePosixPath(d).name for d in known if str(PurePosixPath(d).parent) == parent))
                issues.append(file_issue("unknown-folder", rel, "is not a table folder; records in it are not read",
                                         hint=f"move its records into one of {parent}/{{{tables}}} (or add the table to datapackage.yaml)"))
            else:
                issues.append(Issue(code="stray-file", message="is not in a table folder and is not read", path=rel, severity="warning",
                                    hint=f"records go in {parent}/<table>/<id>.yaml"))
    return issues


def load_file(file: Path, path: str):
    """Read and compose one record file: (root `Node` or None, issues). `path` is how issues name it."""
    from .yaml import parse_text

    text, issues = read_text(file, path)
    if text is None:
        return None, issues
    return parse_text(text, path)
