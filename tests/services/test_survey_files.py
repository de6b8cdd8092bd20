"""Reading import files row by row (#11, point 7): counting without parsing, bounded reads."""

from __future__ import annotations

from contextlib import closing
from datetime import date

import pytest

from portal.services.surveys import survey_files
from portal.services.surveys.survey_files import ImportFileError, cell_text, count_rows, read_rows
from tests.import_files import to_csv, to_xlsx
from tests.xlsx_raw import write_xlsx

ROWS = [["a", "b"], *([str(n), "x"] for n in range(300))]


@pytest.mark.parametrize("chunk", [5, 7, 64, 1000, 1 << 20])
def test_xlsx_rows_are_counted_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(survey_files, "_CHUNK", chunk)
    path = tmp_path / "f.xlsx"
    write_xlsx(path, ROWS)
    assert count_rows(path, "f.xlsx", 10_000) == 300
    assert count_rows(path, "f.xlsx", 10) == 11, "counting stops past the limit"


def test_only_row_elements_count(tmp_path):
    path = tmp_path / "f.xlsx"
    write_xlsx(path, [["<row>", "<rowBreaks>"], ["<row r='9'/>"]])
    assert count_rows(path, "f.xlsx", 100) == 1  # cell text is escaped; not <rowBreaks>
    path.write_bytes(to_xlsx(ROWS))  # as openpyxl writes it
    assert count_rows(path, "f.xlsx", 10_000) == 300


def test_csv_records_are_counted(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(to_csv([["a", "b"], ["1", "two\nlines"], ["", ""]], bom=True))
    assert count_rows(path, "f.csv", 100) == 2


def test_a_workbook_that_unpacks_too_large_is_refused_unopened(tmp_path, monkeypatch):
    path = tmp_path / "f.xlsx"
    write_xlsx(path, ROWS)
    monkeypatch.setattr(survey_files, "MAX_UNPACKED_BYTES", 5_000)
    with pytest.raises(ImportFileError) as refused:
        count_rows(path, "f.xlsx", 10_000)
    assert refused.value.code == "unpacked_too_large"


def test_rows_are_cut_and_padded_to_the_header(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(to_csv([["a", "b", "", ""], ["1"], ["1", "2", "3", "4"]]))
    with closing(read_rows(path, "f.csv")) as rows:
        assert list(rows) == [["a", "b"], ["1", ""], ["1", "2"]]
    path = tmp_path / "f.xlsx"
    write_xlsx(path, [["a", "b"], ["1"], ["1", "2", "3"]], dimension="A1:XFD1048576")
    with closing(read_rows(path, "f.xlsx")) as rows:
        assert list(rows) == [["a", "b"], ["1", ""], ["1", "2"]]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("'+8613900000001", "+8613900000001"),  # as the formula-safe export wrote it
        ("'=HYPERLINK(1)", "=HYPERLINK(1)"),
        ("'quoted'", "'quoted'"),
        (" 王一 ", "王一"),
        (4.0, "4"),
        (date(2026, 1, 10), "2026-01-10"),
        (True, "1"),
        (None, ""),
    ],
)
def test_cells_read_as_the_text_a_person_typed(value, text):
    assert cell_text(value) == text


def test_a_zip_that_is_not_a_workbook_is_unreadable(tmp_path):
    path = tmp_path / "f.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    for read in (lambda: count_rows(path, "f.xlsx", 10), lambda: list(read_rows(path, "f.xlsx"))):
        with pytest.raises(ImportFileError) as refused:
            read()
        assert refused.value.code == "unreadable"
