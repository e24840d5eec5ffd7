"""Reading what users give: the size limit, short value reprs for messages, CSV files.

Every error raised here is a :class:`ScenarioError` whose one line names the file, the line
and the column, so the CLI can print it as it is.

Limits:

* ``MAX_BYTES`` (10**12 bytes, 1 TB): the largest size any ``*_bytes`` key or payload may
  take. The recorder packs sizes as signed 64-bit integers (``struct`` code ``q``, at most
  about 9.2e18) and sums them over a run; 1 TB per message keeps the sums of millions of
  messages exact and is far beyond any real-time web message.
"""

from __future__ import annotations

import csv
import math
import reprlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ScenarioError, did_you_mean

__all__ = [
    "MAX_BYTES",
    "MAX_TEXT_FILE_BYTES",
    "CsvRow",
    "csv_number",
    "load_toml",
    "read_csv",
    "read_text_lines",
    "shown",
]

MAX_BYTES = 10**12
MAX_TEXT_FILE_BYTES = 64 * 2**20  # a payload corpus larger than 64 MiB is a mistake


def shown(value: Any) -> str:
    """``repr(value)``, cut short: a huge or deeply nested value stays one short line."""
    short = reprlib.Repr()
    short.maxlevel, short.maxlist, short.maxdict = 3, 6, 6
    short.maxstring = short.maxother = 60
    short.maxlong = 40
    return short.repr(value)


@dataclass(frozen=True)
class CsvRow:
    """One data row of a CSV file: its line number (the header is line 1) and its cells."""

    line: int
    cells: dict[str, str]


def read_csv(path: Path, where: str, required: tuple[str, ...]) -> Iterator[CsvRow]:
    """The rows of CSV file ``path``, which must have the ``required`` columns.

    ``where`` names the scenario key (``"x.toml: workload.trace_csv"``). A UTF-8 byte order
    mark is skipped. Refused with one line each: a missing or unreadable file, a file that
    is not UTF-8 text (binary, Latin-1), a missing column, and a row with fewer or more
    cells than the header. Blank lines are skipped.
    """
    name = repr(str(path))
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = [cell.strip() for cell in next(reader, [])]
                for column in required:
                    if column not in header:
                        raise ScenarioError(
                            f"{where}: CSV file {name} has no column {column!r}"
                            f"{did_you_mean(column, header)} (columns: "
                            f"{', '.join(shown(c) for c in header) or 'none'})"
                        )
                for cells in reader:
                    line = reader.line_num
                    if not any(cell.strip() for cell in cells):
                        continue
                    if len(cells) != len(header):
                        raise ScenarioError(
                            f"{where}: {name} line {line}: {len(cells)} cells, but the header "
                            f"has {len(header)} ({', '.join(header)})"
                        )
                    yield CsvRow(line, dict(zip(header, cells, strict=True)))
            except csv.Error as error:
                raise ScenarioError(
                    f"{where}: {name} line {reader.line_num}: not a readable CSV file ({error})"
                ) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{where}: {name} is not UTF-8 text (byte {error.start}: {error.reason}); "
            "save it as UTF-8 CSV"
        ) from None
    except IsADirectoryError:
        raise ScenarioError(f"{where}: {name} is a directory, not a CSV file") from None
    except FileNotFoundError:
        raise ScenarioError(f"{where}: cannot read CSV file {name}: no such file") from None
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read CSV file {name}: {error.strerror}") from None


def csv_number(
    row: CsvRow,
    column: str,
    where: str,
    path: Path,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """The finite number in ``column`` of ``row``, within ``[minimum, maximum]``."""
    text = row.cells[column].strip()
    here = f"{where}: {str(path)!r} line {row.line}, column {column!r}"
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{here}: {shown(text)} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioError(f"{here}: must be a finite number, got {shown(text)}")
    if minimum is not None and value < minimum:
        raise ScenarioError(f"{here}: must be >= {minimum:g}, got {shown(text)}")
    if maximum is not None and value > maximum:
        raise ScenarioError(f"{here}: must be <= {maximum:g}, got {shown(text)}")
    return value


def load_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file ``path`` as a mapping; ``what`` names it in errors ("scenario").

    Refused with one line each: a missing file, a folder, a file that is not UTF-8, a
    byte order mark (TOML does not allow one), invalid TOML and tables nested too deeply.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a {what} file") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {error.start}: {error.reason}); TOML files are UTF-8"
        ) from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror or error}") from None
    if text.startswith("\ufeff"):
        raise ScenarioError(
            f"{path}: starts with a UTF-8 byte order mark (BOM), which TOML does not allow; "
            "save the file as UTF-8 without BOM"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ScenarioError(
            f"{path}: invalid TOML: arrays or tables nested too deeply to read"
        ) from None


def read_text_lines(path: Path, where: str) -> tuple[bytes, ...]:
    """The non-blank lines of UTF-8 text file ``path`` (a payload corpus), as bytes.

    Refused with one line each: a missing, unreadable or empty file, a directory, a file
    over ``MAX_TEXT_FILE_BYTES`` and one that is not UTF-8 text.
    """
    name = repr(str(path))
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_FILE_BYTES:
            raise ScenarioError(
                f"{where}: {name} is {size:,} bytes; a corpus may have at most "
                f"{MAX_TEXT_FILE_BYTES:,}"
            )
        data = path.read_bytes()
    except IsADirectoryError:
        raise ScenarioError(f"{where}: {name} is a directory, not a text file") from None
    except FileNotFoundError:
        raise ScenarioError(f"{where}: cannot read {name}: no such file") from None
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read {name}: {error.strerror}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{where}: {name} is not UTF-8 text (byte {error.start}: {error.reason})"
        ) from None
    lines = tuple(line for line in data.splitlines() if line.strip())
    if not lines:
        raise ScenarioError(f"{where}: {name} has no text: give one payload per line")
    return lines
