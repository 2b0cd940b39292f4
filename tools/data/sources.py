"""Find a dataset wherever it lives and say plainly what kind of file it is.

A source is a local path, a `gs://` or `local://` URI (downloaded to a temporary
file first), or a Hugging Face dataset written `hf://OWNER/NAME?split=train&config=C`.
Problems are found before any parsing starts: missing file (with close matches),
a directory, an empty file, a binary file, UTF-16 or a UTF-8 byte-order mark.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tools.errors import DataError

#: Called as `storage_download(uri, local_path)`; the platform's `Storage.download` fits.
StorageDownload = Callable[[str, str], object]

#: Longest line (in bytes) any reader keeps in memory. Longer lines are refused, never read whole.
DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024

_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".jsonlines": "jsonl", ".parquet": "parquet", ".pq": "parquet",
}
_SNIFF_BYTES = 64 * 1024
_DATA_SUFFIXES = tuple(_EXTENSIONS)


def is_data_file(name: str) -> bool:
    """Whether a file or object name ends like a dataset this tool reads (CSV, TSV, JSON, JSONL, Parquet)."""
    return name.lower().endswith(_DATA_SUFFIXES)

_AS_CSV = "Save the sheet as CSV ({how}) and give me that file, e.g. `{stem}.csv`."
_UNPACK = "Unpack it first (e.g. `{tool}`) and give me the CSV, TSV, JSON, JSONL or Parquet file inside."
#: Files people reach for that are not read here, and what to do instead (what they are, the fix).
UNSUPPORTED: dict[str, tuple[str, str]] = {
    ".xlsx": ("an Excel workbook", _AS_CSV.format(how="in Excel: File → Save As → CSV UTF-8", stem="{stem}")),
    ".xlsm": ("an Excel workbook", _AS_CSV.format(how="in Excel: File → Save As → CSV UTF-8", stem="{stem}")),
    ".xls": ("an Excel workbook", _AS_CSV.format(how="in Excel: File → Save As → CSV UTF-8", stem="{stem}")),
    ".ods": ("a LibreOffice/OpenOffice spreadsheet",
             _AS_CSV.format(how="in Calc: File → Save As → Text CSV, character set UTF-8", stem="{stem}")),
    ".numbers": ("an Apple Numbers spreadsheet",
                 _AS_CSV.format(how="in Numbers: File → Export To → CSV, encoding UTF-8", stem="{stem}")),
    ".docx": ("a Word document", "Put the examples in a table with one prompt and one answer column, and save "
              "it as CSV UTF-8 (or write them as JSONL), then give me that file."),
    ".doc": ("a Word document", "Put the examples in a table with one prompt and one answer column, and save "
             "it as CSV UTF-8 (or write them as JSONL), then give me that file."),
    ".pdf": ("a PDF document", "Copy the examples into a spreadsheet with one prompt and one answer column and "
             "save it as CSV UTF-8 (or write them as JSONL), then give me that file."),
    ".zip": ("a ZIP archive", _UNPACK.format(tool="unzip {name}")),
    ".gz": ("a gzip-compressed file", _UNPACK.format(tool="gunzip -k {name}")),
    ".tgz": ("a compressed tar archive", _UNPACK.format(tool="tar -xzf {name}")),
    ".tar": ("a tar archive", _UNPACK.format(tool="tar -xf {name}")),
    ".bz2": ("a bzip2-compressed file", _UNPACK.format(tool="bunzip2 -k {name}")),
    ".xz": ("an xz-compressed file", _UNPACK.format(tool="unxz -k {name}")),
    ".7z": ("a 7-Zip archive", _UNPACK.format(tool="7z x {name}")),
}


def unsupported_type(source: str) -> DataError | None:
    """A DataError for a file type people use that is not read here (Excel, Word, PDF, archives), or None.

    Why: such a file is known by its name alone, so the person is told what to save instead
    before anything is read (and even when the name has a typo)."""
    name = Path(urlsplit(source).path if "://" in source else source).name
    suffix = Path(name).suffix.lower()
    if suffix not in UNSUPPORTED:
        return None
    return _unsupported(source, name, suffix)


def _unsupported(source: str, name: str, kind: str, by_content: bool = False) -> DataError:
    what, fix = UNSUPPORTED[kind]
    suffix = Path(name).suffix
    stem = name[: -len(suffix)] if suffix else name
    return DataError(f"{source}: {what}{' (by its content, whatever its name says)' if by_content else ''}, which "
                     "tuning-agent does not read (it reads CSV, TSV, JSON, JSONL and Parquet)",
                     fix.format(stem=Path(stem).stem if suffix.lower() == ".gz" else stem, name=name))


#: How files people rename (`book.xlsx` saved as `book.csv`) start, and which type they really are.
_MAGIC = ((b"\xd0\xcf\x11\xe0", ".xls"), (b"%PDF", ".pdf"), (b"\x1f\x8b", ".gz"), (b"BZh", ".bz2"),
          (b"\xfd7zXZ", ".xz"), (b"7z\xbc\xaf", ".7z"))


def _type_by_content(head: bytes) -> str | None:
    """The UNSUPPORTED kind a file's first bytes show (an Office file is a ZIP holding `xl/` or `word/`)."""
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx" if b"xl/" in head else ".docx" if b"word/" in head else \
            ".ods" if b"opendocument.spreadsheet" in head else ".zip"
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def _text_with_stray_nul(head: bytes) -> bool:
    """Whether a start of file that holds NUL bytes is still text: a few NULs (at most 1 in 100 bytes) in
    otherwise valid UTF-8. Such a file is read as text, and the reader refuses the first NUL naming its
    line and byte (`limits.check_nul`). Why: a stray NUL in a CSV is a fix in one line, not a binary file."""
    import codecs

    if head.count(b"\x00") * 100 > len(head):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head.replace(b"\x00", b""), final=False)
    except UnicodeDecodeError:
        return False
    return True


#: A Hub dataset id: `NAME` or `OWNER/NAME`, each starting with a letter or digit (so never `..` or `/`).
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")


def is_hub_id(dataset_id: str) -> bool:
    """Whether `dataset_id` can only name a dataset on the Hugging Face Hub (never a path: no `..`)."""
    return bool(_HUB_ID.fullmatch(dataset_id)) and ".." not in dataset_id


@dataclass
class HFRef:
    """A Hugging Face dataset id with its split and optional config name."""

    dataset_id: str
    split: str = "train"
    config: str | None = None


@dataclass
class ResolvedSource:
    """A source made concrete: a readable local file of a known kind, or a Hugging Face reference."""

    original: str
    kind: str
    path: Path | None = None
    hf: HFRef | None = None
    remote: bool = False
    bom: bool = False
    encoding_note: str | None = None
    size_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """How messages name this source: the URI the user gave, else the path."""
        return self.original


def parse_hf(src: str) -> HFRef:
    """`hf://owner/name?split=test&config=x` → HFRef (split defaults to `train`)."""
    parts = urlsplit(src)
    dataset_id = (parts.netloc + parts.path).strip("/")
    if not dataset_id:
        raise DataError(f"{src}: no Hugging Face dataset id", "Write it as hf://OWNER/NAME?split=train")
    if not is_hub_id(dataset_id):
        raise DataError(f"{src}: {dataset_id!r} is not a Hugging Face dataset id",
                        "Write it as hf://OWNER/NAME?split=train (letters, digits, '-', '_' and '.'; no '..').")
    query = parse_qs(parts.query)
    config = query.get("config")
    return HFRef(dataset_id, (query.get("split") or ["train"])[0], config[0] if config else None)


@contextlib.contextmanager
def open_source(src: str | os.PathLike[str], *, storage_download: StorageDownload | None = None,
                ) -> Iterator[ResolvedSource]:
    """Resolve `src` to a readable local file (downloading remote objects to a temp dir, removed after)."""
    text = os.fspath(src)
    if text.startswith("hf://"):
        yield ResolvedSource(original=text, kind="huggingface", hf=parse_hf(text), remote=True)
        return
    if text.startswith(("gs://", "local://")):
        with tempfile.TemporaryDirectory(prefix="tuning-agent-src-") as tmp:
            local = Path(tmp) / (Path(urlsplit(text).path).name or "object")
            _download(text, local, storage_download)
            resolved = _inspect_file(local, text)
            resolved.remote = True
            yield resolved
        return
    yield _inspect_file(Path(text).expanduser(), text)


def _download(uri: str, local: Path, storage_download: StorageDownload | None) -> None:
    """Fetch one object: through the platform's download if given, else gs:// via google-cloud-storage."""
    if storage_download is not None:
        try:
            storage_download(uri, str(local))
        except DataError:
            raise
        except Exception as err:  # the platform raises its own errors; keep the words
            raise DataError(f"{uri}: download failed: {err}",
                            "Check that the object exists and that you may read it.") from err
        if not local.is_file():
            raise DataError(f"{uri}: the download produced no file", "Check the URI.")
        return
    if uri.startswith("local://"):
        raise DataError(f"{uri}: local:// URIs can only be read through the local platform",
                        "Pass the file's path on disk instead.")
    gcs_download(uri, local)


def gcs_download(uri: str, local: Path) -> None:
    """Download `gs://B/K` with google-cloud-storage (STORAGE_EMULATOR_HOST is honoured by the client)."""
    from google.api_core import exceptions as gexc
    from google.cloud import storage

    parts = urlsplit(uri)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if not bucket or not key:
        raise DataError(f"{uri}: not a gs://BUCKET/OBJECT URI", "Name one object, e.g. gs://my-bucket/data.jsonl")
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        client = storage.Client()
    else:
        from tools.vertex.auth import detect_project, get_credentials

        client = storage.Client(project=detect_project().value, credentials=get_credentials())
    try:
        client.bucket(bucket).blob(key).download_to_filename(str(local))
    except gexc.NotFound as err:
        with contextlib.suppress(OSError):
            local.unlink()
        raise DataError(f"{uri}: no such object", "Check the bucket and object name (gs:// URIs of "
                        "CSV, TSV, JSON, JSONL and Parquet files can be read).") from err
    except gexc.GoogleAPICallError as err:
        raise DataError(f"{uri}: download failed: {err.message}", "Check your access to the bucket.") from err


def close_matches(path: str | os.PathLike[str], limit: int = 5) -> list[str]:
    """For a missing file: similar names in its folder (or the current folder), best first."""
    target = Path(os.fspath(path)).expanduser()
    folder = target.parent if target.parent.is_dir() else Path.cwd()
    try:
        names = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return []
    matches = difflib.get_close_matches(target.name, names, n=limit, cutoff=0.5)
    if not matches:
        stem = target.stem.lower()
        matches = [n for n in names if stem and stem in n.lower()][:limit]
    base = "" if folder == Path.cwd() and not target.parent.is_dir() else str(folder)
    return [str(Path(base) / m) if base else m for m in matches]


def data_files_in(folder: str | os.PathLike[str], limit: int = 30, depth: int = 2) -> list[tuple[str, int]]:
    """The data files (CSV/TSV/JSON/JSONL/Parquet) in a folder and its subfolders up to `depth`, as
    (path, bytes), the folder's own files first; hidden entries are skipped and at most `limit` are returned.

    Why: a folder given as the dataset is answered with the files it holds, so the person picks one."""
    root = Path(os.fspath(folder)).expanduser()
    found: list[tuple[str, int]] = []
    level = [root]
    for _ in range(depth):
        below: list[Path] = []
        for current in level:
            try:
                entries = sorted(current.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    below.append(entry)
                elif is_data_file(entry.name) and entry.is_file():
                    found.append((str(entry), entry.stat().st_size))
        level = below
    return sorted(found, key=lambda f: (f[0].count(os.sep), f[0]))[:limit]  # the folder's own files first


def _inspect_file(path: Path, original: str) -> ResolvedSource:
    """Check that `path` is a non-empty, non-binary data file and decide its kind."""
    refused = unsupported_type(original) or unsupported_type(path.name)
    if refused is not None:
        raise refused
    if not path.exists():
        matches = close_matches(path)
        hint = ("Did you mean: " + ", ".join(matches) + "?") if matches else \
            "Check the path (relative paths start from the current folder)."
        raise DataError(f"{original}: no such file", hint)
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if is_data_file(p.name))[:8]
        hint = ("Name one file inside it, e.g. " + ", ".join(str(path / n) for n in inside)) if inside \
            else "Name a CSV, TSV, JSON, JSONL or Parquet file."
        raise DataError(f"{original}: is a directory, not a file", hint)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as err:
        raise DataError(f"{original}: cannot be read ({err.strerror})",
                        "Check the file's permissions.") from err
    if size == 0:
        raise DataError(f"{original}: the file is empty (0 bytes)", "Choose a file that contains examples.")
    resolved = ResolvedSource(original=original, kind="", path=path, size_bytes=size)
    if head.startswith(b"PAR1"):
        resolved.kind = "parquet"
        return resolved
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{original}: the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark)",
                        "Re-save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8 IN > OUT`.")
    if (kind := _type_by_content(head)) is not None:
        raise _unsupported(original, path.name, kind, by_content=True)
    nul = head.find(b"\x00")
    if nul >= 0 and not _text_with_stray_nul(head):
        raise DataError(f"{original}: looks like a binary file (a NUL byte at offset {nul}), "
                        "not CSV, TSV, JSON, JSONL or Parquet",
                        "Choose the dataset file itself (compressed files must be unpacked first).")
    if head.startswith(b"\xef\xbb\xbf"):
        resolved.bom = True
        resolved.encoding_note = ("The file starts with a UTF-8 byte-order mark (BOM); it was ignored, "
                                  "and written files will not have one.")
        head = head[3:]
    resolved.kind = _EXTENSIONS.get(path.suffix.lower()) or _EXTENSIONS.get(
        Path(urlsplit(original).path).suffix.lower()) or _sniff_kind(head)
    if resolved.kind == "parquet":
        raise DataError(f"{original}: named like a Parquet file but does not start with the Parquet "
                        "magic bytes", "Check that the file was written completely.")
    if resolved.kind == "json" and _looks_like_jsonl(head):
        resolved.kind = "jsonl"
        resolved.notes.append("The .json file holds one JSON object per line; it was read as JSONL.")
    return resolved


def _sniff_kind(head: bytes) -> str:
    """Guess the kind of an extension-less file from its first bytes."""
    stripped = head.lstrip()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl" if _looks_like_jsonl(head) else "json"
    first = head.split(b"\n", 1)[0]
    return "tsv" if first.count(b"\t") > first.count(b",") else "csv"


def _looks_like_jsonl(head: bytes) -> bool:
    """True when the first line is one complete JSON object and another line follows."""
    import orjson

    lines = [ln for ln in head.lstrip().split(b"\n") if ln.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(orjson.loads(lines[0]), dict)
    except orjson.JSONDecodeError:
        return False


def utf8_error(original: str, data: bytes, err: UnicodeDecodeError, first_line: int = 1) -> DataError:
    """A DataError naming the line and column of the first byte that is not UTF-8."""
    start = err.start
    line = first_line + data.count(b"\n", 0, start)
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    byte = data[start:start + 1].hex()
    return DataError(
        f"{original}: line {line}, column {column}: byte 0x{byte} is not valid UTF-8 "
        "(the file looks like Latin-1 / Windows-1252 text)",
        "Re-save the file as UTF-8, e.g. `iconv -f LATIN1 -t UTF-8 IN > OUT`.")
