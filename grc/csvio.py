"""CSV in and out, the same way everywhere (people, accounts, assets …).

Reading: ``read_csv(data)`` decodes (UTF-8 with or without BOM; a clear error otherwise), and
yields ``CsvRow(line, values)`` with the file's own line numbers so errors can name them.
Importers validate every row first, collect ``RowError(line, message)`` for each bad one, and apply
nothing unless all rows are good (or the user chose "import the good rows").
Writing: ``csv_response`` neutralises formula injection — a cell starting with = + - @ tab or
CR is prefixed with ``'`` so spreadsheet programs show it as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpResponse

MAX_CSV_BYTES = 10 * 1024 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CsvFileError(ValueError):
    """The file as a whole cannot be read (encoding, size, no header)."""


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


# Files people upload by mistake instead of a CSV export, recognised by their first bytes.
NOT_CSV = ((b"PK\x03\x04", "a zip archive or an Excel workbook"), (b"\xd0\xcf\x11\xe0", "an old Excel workbook"), (b"%PDF-", "a PDF"))


def decode(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise CsvFileError(f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB.")
    for magic, what in NOT_CSV:  # sniffed, whatever the file's name or declared type says
        if data.startswith(magic):
            raise CsvFileError(f"The file is {what}, not CSV text. Save the spreadsheet as CSV UTF-8 and upload that.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFileError(f"The file is not UTF-8 text (byte {error.start} cannot be read). Export it as CSV UTF-8 and try again.")


DELIMITERS = (",", ";", "\t", "|")


def detect_delimiter(text: str) -> str:
    """The delimiter of the header line: the one of ``, ; tab |`` it holds most of, outside quotes.
    Spreadsheets in many European locales save "CSV" with ``;``, and some tools export tab-separated
    text; read with commas such a file would be one column. Comma wins ties (and a one-column file)."""
    line = text.lstrip("\r\n").split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", line)  # a delimiter inside a quoted name does not count
    counts = {delimiter: unquoted.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])  # first of the ties: the comma
    return best if counts[best] else ","


def read_csv(data: bytes) -> tuple[list[str], list[CsvRow]]:
    """Header (stripped) and rows, each with its 1-based line number in the file. The delimiter
    is detected from the header line (``detect_delimiter``)."""
    text = decode(data)
    if "\x00" in text:
        raise CsvFileError("The file contains NUL bytes: it is not a CSV file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CsvFileError("The file is empty: the first line must name the columns.")
    except csv.Error as error:
        raise CsvFileError(f"line 1: {error}")
    if not any(header):
        raise CsvFileError("The first line must name the columns.")
    rows: list[CsvRow] = []
    try:
        for values in reader:
            if not any(cell.strip() for cell in values):
                continue
            padded = values + [""] * (len(header) - len(values))
            rows.append(CsvRow(line=reader.line_num, values={name: padded[i].strip() for i, name in enumerate(header) if name}))
    except csv.Error as error:
        raise CsvFileError(f"line {reader.line_num}: {error}")
    return header, rows


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return response
