"""Reading CSV files saved with ; or tab (European spreadsheets, tab-separated exports): issue 24."""

from __future__ import annotations

import pytest

from grc.csvio import detect_delimiter, read_csv


@pytest.mark.parametrize(
    ("data", "delimiter", "columns"),
    [
        (b"user;email;status\nlee;lee@x.test;active\n", ";", 3),
        (b"user\temail\tstatus\nlee\tlee@x.test\tactive\n", "\t", 3),
        (b"user|email\nlee|lee@x.test\n", "|", 2),
        (b"user,email\nlee,lee@x.test\n", ",", 2),
        (b'"Name, full";user;email\n"Lee, W";lee;lee@x.test\n', ";", 3),  # a comma inside a quoted name does not count
        (b"\xef\xbb\xbfuser;email\nlee;lee@x.test\n", ";", 2),  # with a BOM
        (b"user\nlee\n", ",", 1),  # one column
    ],
)
def test_it_reads_each_delimiter_as_columns(data, delimiter, columns):
    assert detect_delimiter(data.decode("utf-8-sig")) == delimiter
    header, rows = read_csv(data)
    assert len(header) == len(rows[0].values) == columns and rows[0].line == 2


def test_a_semicolon_file_is_not_one_column():
    header, rows = read_csv(b"User Name;MFA;Status\nlee@x.test;yes;active\n")
    assert header == ["User Name", "MFA", "Status"]
    assert rows[0].values == {"User Name": "lee@x.test", "MFA": "yes", "Status": "active"}


def test_a_tie_keeps_the_comma():
    header, _rows = read_csv(b"a;b,c\n1;2,3\n")
    assert header == ["a;b", "c"]
