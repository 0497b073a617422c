"""Read paper records from local files: JSON Lines, JSON, CSV and BibTeX (optionally gzipped).

:func:`read_file` yields one :class:`PaperRecord` per paper, or a :class:`RecordProblem` for
input that could not be read; a bad record never stops the file.  Values stay raw
(ingest normalises them); only field-name spellings are mapped (see
:mod:`paperwire.sources.fields`), and BibTeX values are LaTeX-decoded with names turned
into "First Last" order, since undoing BibTeX syntax is the reader's job.

Every item's ``origin`` is ``f"{path}:{line}"`` (1-based line where the record starts);
``path`` is the path exactly as passed in.
"""
from __future__ import annotations

import csv
import functools
import gzip
import json
import os
import re
import zlib
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson

from paperwire.sources.fields import record_from_mapping
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem

__all__ = ["FileFormatError", "SUPPORTED_SUFFIXES", "read_file"]


class FileFormatError(ValueError):
    """The file has an unknown type, does not exist, or cannot be read at all."""


#: file-name ending -> (format, gzipped); longest endings first
SUPPORTED_SUFFIXES: tuple[tuple[str, str, bool], ...] = (
    (".jsonl.gz", "jsonl", True),
    (".json.gz", "json", True),
    (".csv.gz", "csv", True),
    (".jsonl", "jsonl", False),
    (".json", "json", False),
    (".csv", "csv", False),
    (".bib", "bib", False),
)

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
# What a broken gzip stream raises while being read: EOFError (truncated),
# gzip.BadGzipFile (an OSError: bad CRC/length, garbage), zlib.error (corrupt data).
_GZIP_ERRORS = (EOFError, OSError, zlib.error)


def read_file(path: str | Path) -> Iterator[SourceItem]:
    """Yield a PaperRecord (``source="file"``) or RecordProblem for each record in ``path``.

    The format is chosen by the file name: ``.jsonl``, ``.jsonl.gz``, ``.json``, ``.json.gz``,
    ``.csv``, ``.csv.gz``, ``.bib``.  Raises :class:`FileFormatError` at once (before
    iteration) for an unknown file type or a file that does not exist or cannot be opened.
    """
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    lower = os.path.basename(name).lower()
    found = next(((f, g) for s, f, g in SUPPORTED_SUFFIXES if lower.endswith(s)), None)
    if found is None:
        raise FileFormatError(
            f"{name}: unknown file type (expected one of "
            f"{', '.join(s for s, _, _ in SUPPORTED_SUFFIXES)})"
        )
    fmt, gz = found
    _check_readable(name, gz)
    if fmt == "jsonl":
        return _read_jsonl(name, gz)
    if fmt == "json":
        return _read_json(name, gz)
    if fmt == "csv":
        return _read_csv(name, gz)
    return _read_bib(name)


def _check_readable(name: str, gz: bool) -> None:
    if os.path.isdir(name):
        raise FileFormatError(f"{name}: is a directory, not a file")
    try:
        with open(name, "rb") as f:
            head = f.read(2)
    except OSError as e:
        raise FileFormatError(f"{name}: cannot read file: {e.strerror or e}") from e
    if gz and head and head != _GZIP_MAGIC:
        raise FileFormatError(f"{name}: not a gzip file (the name ends in .gz)")


def _open_binary(name: str, gz: bool):
    return gzip.open(name, "rb") if gz else open(name, "rb")


def _gzip_problem(name: str, line: int, error: BaseException) -> RecordProblem:
    if isinstance(error, EOFError):
        what = "gzip file is truncated (compressed stream ended early)"
    elif isinstance(error, (zlib.error, gzip.BadGzipFile)):
        what = "gzip data is corrupt"
    else:
        what = "read error"
    return RecordProblem(f"{name}:{line}", None, f"{what}: {error}; reading stopped here")


def _not_object(name: str, line: Any, value: Any) -> RecordProblem:
    return RecordProblem(
        f"{name}:{line}", None,
        f"expected a JSON object, found {_json_type(value)}",
    )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


# --------------------------------------------------------------------------- JSON Lines

def _read_jsonl(name: str, gz: bool) -> Iterator[SourceItem]:
    with _open_binary(name, gz) as f:
        yield from _jsonl_items(name, f)


def _jsonl_items(name: str, lines: Iterable[bytes]) -> Iterator[SourceItem]:
    """Records from an iterable of byte lines (line numbers from 1).

    Each line is parsed on its own (orjson validates its UTF-8), so one bad line costs
    only that line.  A broken gzip stream ends the file with one problem.
    """
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    make = record_from_mapping
    lineno = 0
    try:
        for raw in lines:
            lineno += 1
            try:
                obj = loads(raw)
            except decode_error as e:
                obj = _without_bom(raw) if lineno == 1 else _UNPARSED
                if obj is _UNPARSED:
                    problem = _bad_json_line(raw, f"{name}:{lineno}", e)
                    if problem is not None:
                        yield problem
                    continue
            if type(obj) is dict:
                yield make(obj, f"{name}:{lineno}")
            else:
                yield _not_object(name, lineno, obj)
    except _GZIP_ERRORS as e:
        yield _gzip_problem(name, lineno + 1, e)


_UNPARSED = object()


def _without_bom(raw: bytes) -> Any:
    """The first line parsed without a leading UTF-8 byte-order mark, else _UNPARSED."""
    if raw.startswith(_BOM):
        try:
            return orjson.loads(raw[3:])
        except orjson.JSONDecodeError:
            pass
    return _UNPARSED


def _bad_json_line(raw: bytes, origin: str, error: Exception) -> RecordProblem | None:
    if not raw.strip():
        return None  # empty line: skipped silently
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as u:
        return RecordProblem(
            origin, None, f"invalid UTF-8 at byte {u.start + 1} of the line: {u.reason}"
        )
    reason = getattr(error, "msg", None) or str(error)
    colno = getattr(error, "colno", None)
    where = f" at column {colno}" if colno else ""
    return RecordProblem(origin, None, f"invalid JSON: {reason}{where}")


# --------------------------------------------------------------------------- JSON

def _read_json(name: str, gz: bool) -> Iterator[SourceItem]:
    try:
        with _open_binary(name, gz) as f:
            data = f.read()
    except _GZIP_ERRORS as e:
        yield _gzip_problem(name, 1, e)
        return
    if data.startswith(_BOM):
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        if _looks_like_json_lines(data):
            yield from _jsonl_items(name, data.split(b"\n"))
        else:
            yield _bad_json_file(name, data, e)
        return

    if isinstance(doc, list):
        lines = _element_lines(data, len(doc), keyed=False)
        for index, item in enumerate(doc):
            where = lines[index] if lines else f"#{index}"
            origin = f"{name}:{where}"
            if type(item) is dict:
                if isinstance(item.get("paper"), dict):
                    yield _daily_item_record(item, origin)
                else:
                    yield record_from_mapping(item, origin)
            else:
                yield _not_object(name, where, item)
    elif isinstance(doc, dict):
        if doc and all(type(v) is dict for v in doc.values()) and "paper" not in doc:
            lines = _element_lines(data, len(doc), keyed=True)
            for index, (key, item) in enumerate(doc.items()):
                where = lines[index] if lines else f"#{index}"
                yield record_from_mapping(item, f"{name}:{where}", record_id=key)
        elif isinstance(doc.get("paper"), dict):
            yield _daily_item_record(doc, f"{name}:1")
        else:
            yield record_from_mapping(doc, f"{name}:1")
    else:
        yield RecordProblem(
            f"{name}:1", None,
            f"expected a JSON array or object at the top level, found {_json_type(doc)}",
        )


def _looks_like_json_lines(data: bytes) -> bool:
    """A .json file that is really JSON Lines: its first non-blank line is an object by itself."""
    stripped = data.lstrip()
    first, sep, rest = stripped.partition(b"\n")
    if not sep or not rest.strip():
        return False
    try:
        return type(orjson.loads(first)) is dict
    except orjson.JSONDecodeError:
        return False


def _bad_json_file(name: str, data: bytes, error: Exception) -> RecordProblem:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as u:
        line = data.count(b"\n", 0, u.start) + 1
        return RecordProblem(f"{name}:{line}", None, f"invalid UTF-8 in JSON file: {u.reason}")
    line = getattr(error, "lineno", None) or 1
    colno = getattr(error, "colno", None)
    reason = getattr(error, "msg", None) or str(error)
    col = f", column {colno}" if colno else ""
    return RecordProblem(
        f"{name}:{line}", None,
        f"invalid JSON: {reason} (line {line}{col}); no records read from this file",
    )


_WS = re.compile(r"[ \t\n\r]*")
_raw_decode = json.JSONDecoder().raw_decode


def _element_lines(data: bytes, count: int, keyed: bool) -> list[int] | None:
    """1-based start line of each top-level element (or key) of a JSON array (or object).

    Scans the already-validated document once more with the stdlib scanner; returns
    None if anything does not add up (the caller then falls back to ``#index``).
    """
    try:
        text = data.decode("utf-8")
        ws = _WS.match
        idx = ws(text, 0).end() + 1  # past "[" or "{"
        idx = ws(text, idx).end()
        starts: list[int] = []
        if text[idx] not in "]}":
            while True:
                starts.append(idx)
                if keyed:
                    _, idx = _raw_decode(text, idx)
                    idx = ws(text, idx).end()
                    if text[idx] != ":":
                        return None
                    idx = ws(text, idx + 1).end()
                _, idx = _raw_decode(text, idx)
                idx = ws(text, idx).end()
                if text[idx] != ",":
                    break
                idx = ws(text, idx + 1).end()
    except (ValueError, IndexError):
        return None
    if len(starts) != count:
        return None  # e.g. duplicate keys in an object
    lines = []
    line, pos = 1, 0
    for start in starts:
        line += text.count("\n", pos, start)
        pos = start
        lines.append(line)
    return lines


def _daily_item_record(item: dict, origin: str) -> SourceItem:
    """A Hugging Face ``/api/daily_papers`` item ``{paper: {...}, ...}``."""
    from paperwire.sources.hf_daily import record_from_daily_item

    try:
        record = record_from_daily_item(item, origin)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        # hf_daily raises EntryError(field, message), a ValueError
        message = getattr(e, "message", None) or str(e) or type(e).__name__
        return RecordProblem(
            origin, getattr(e, "field", None), f"unreadable Hugging Face daily-papers item: {message}"
        )
    record.origin = origin
    record.source = "file"
    return record


# --------------------------------------------------------------------------- CSV

def _read_csv(name: str, gz: bool) -> Iterator[SourceItem]:
    bad_lines: dict[int, str] = {}
    counter = [0]

    def decoded(f) -> Iterator[str]:
        n = 0
        for raw in f:
            n += 1
            counter[0] = n
            if n == 1 and raw.startswith(_BOM):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as u:
                bad_lines[n] = f"invalid UTF-8 at byte {u.start + 1} of line {n}: {u.reason}"
                yield raw.decode("utf-8", "replace")

    with _open_binary(name, gz) as f:
        reader = csv.reader(decoded(f), strict=True)
        try:
            header = next(reader, None)
        except _GZIP_ERRORS as e:
            yield _gzip_problem(name, counter[0] + 1, e)
            return
        except csv.Error as e:
            yield RecordProblem(f"{name}:1", None, f"unreadable CSV header: {e}")
            return
        if header is None:
            return
        if bad_lines:
            problem = "; ".join(bad_lines.values())
            yield RecordProblem(f"{name}:1", None, f"CSV header: {problem}; no records read")
            return
        width = len(header)
        end = reader.line_num
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except _GZIP_ERRORS as e:
                yield _gzip_problem(name, counter[0] + 1, e)
                return
            except csv.Error as e:
                end = reader.line_num
                yield RecordProblem(f"{name}:{start}", None, f"unreadable CSV row: {e}")
                continue
            end = reader.line_num
            if not row:
                continue  # blank line
            origin = f"{name}:{start}"
            if bad_lines:
                bad = [bad_lines.pop(n) for n in range(start, end + 1) if n in bad_lines]
                if bad:
                    yield RecordProblem(origin, None, "; ".join(bad))
                    continue
            if len(row) != width:
                if len(row) == 1 and not row[0].strip():
                    continue  # whitespace-only line
                yield RecordProblem(
                    origin, None,
                    f"CSV row has {len(row)} columns, the header has {width}",
                )
                continue
            yield record_from_mapping({k: v for k, v in zip(header, row) if v != ""}, origin)


# --------------------------------------------------------------------------- BibTeX

#: BibTeX fields whose values are taken verbatim (no LaTeX decoding)
_BIB_VERBATIM = frozenset({
    "url", "doi", "eprint", "archiveprefix", "eprinttype", "primaryclass", "pdf", "file",
    "isbn", "issn", "urldate", "howpublished_url", "code", "github",
})
_BIB_NAME_FIELDS = ("author", "editor", "translator")


@functools.lru_cache(maxsize=1)
def _bib_middlewares() -> tuple:
    from bibtexparser.middlewares import (
        LatexDecodingMiddleware,
        NormalizeFieldKeys,
        SeparateCoAuthors,
    )
    from bibtexparser.middlewares.middleware import BlockMiddleware
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    class FirstLastNames(BlockMiddleware):
        """Turn each name of a separated name list from "Last, First" into "First Last".

        Like SplitNameParts + MergeNameParts(style="first"), but lenient: a name BibTeX
        would reject (too many commas, unbalanced braces) is kept as written.
        """

        def __init__(self) -> None:
            super().__init__(allow_inplace_modification=True, allow_parallel_execution=True)

        def transform_entry(self, entry, library):
            for field in entry.fields:
                if field.key in _BIB_NAME_FIELDS and isinstance(field.value, list):
                    field.value = [_first_last(n, parse_single_name_into_parts)
                                   for n in field.value]
            return entry

    class DecodeLatex(LatexDecodingMiddleware):
        """LaTeX -> Unicode for text fields (and name lists); URLs, DOIs, ids stay verbatim."""

        def transform_entry(self, entry, library):
            for field in entry.fields:
                if field.key in _BIB_VERBATIM:
                    continue
                value = field.value
                if isinstance(value, str):
                    field.value = self._transform_python_value_string(value)[0]
                elif isinstance(value, list):
                    field.value = [
                        self._transform_python_value_string(v)[0] if isinstance(v, str) else v
                        for v in value
                    ]
            return entry

    return (NormalizeFieldKeys(), SeparateCoAuthors(), FirstLastNames(), DecodeLatex())


def _first_last(name: str, parse) -> str:
    try:
        merged = parse(name, strict=False).merge_first_name_first
    except Exception:  # noqa: BLE001 - a name we cannot split is kept as written
        return name
    return merged or name


def _read_bib(name: str) -> Iterator[SourceItem]:
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    with open(name, "rb") as f:
        data = f.read()
    if data.startswith(_BOM):
        data = data[3:]
    bad_lines: dict[int, str] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        parts = []
        for n, raw in enumerate(data.split(b"\n"), 1):
            try:
                parts.append(raw.decode("utf-8"))
            except UnicodeDecodeError as u:
                bad_lines[n] = f"invalid UTF-8 at byte {u.start + 1} of line {n}: {u.reason}"
                parts.append(raw.decode("utf-8", "replace"))
        text = "\n".join(parts)

    try:
        library = bibtexparser.parse_string(text, append_middleware=_bib_middlewares())
    except Exception as e:  # noqa: BLE001 - the library failed on the file as a whole
        yield RecordProblem(f"{name}:1", None, f"BibTeX file could not be parsed: {e!r}")
        return

    for block in library.blocks:
        line = (block.start_line or 0) + 1
        origin = f"{name}:{line}"
        if isinstance(block, ParsingFailedBlock):
            if isinstance(block, DuplicateBlockKeyBlock) and not isinstance(
                    block.ignore_error_block, Entry):
                continue  # a repeated @string: not a paper
            yield RecordProblem(origin, None, f"BibTeX: {_bib_error(block)}")
            continue
        if not isinstance(block, Entry):
            continue  # @string, @preamble, @comment, text between entries
        if bad_lines:
            last = line + (block.raw or "").count("\n")
            bad = [bad_lines[n] for n in range(line, last + 1) if n in bad_lines]
            if bad:
                yield RecordProblem(origin, None, "; ".join(bad))
                continue
        yield _bib_record(block, origin)


def _bib_error(block: Any) -> str:
    error = block.error
    for attr in ("abort_reason", "message"):
        text = getattr(error, attr, None)
        if text:
            return " ".join(str(text).split())
    return " ".join(str(error).split()) or type(error).__name__


def _bib_record(entry: Any, origin: str) -> PaperRecord:
    values: dict[str, Any] = {field.key: field.value for field in entry.fields}
    prefix = values.get("archiveprefix") or values.get("eprinttype")
    non_arxiv_eprint = (
        "eprint" in values and isinstance(prefix, str) and prefix.strip().lower() != "arxiv"
    )
    if non_arxiv_eprint:
        values["eprint_"] = values.pop("eprint")
    record = record_from_mapping(values, origin)
    if non_arxiv_eprint:
        record.extra["eprint"] = record.extra.pop("eprint_")
    record.extra["bibtex_type"] = entry.entry_type
    record.extra["bibtex_key"] = entry.key
    return record
