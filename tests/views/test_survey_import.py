"""/admin/imports: a year's survey from a file, checked first, applied as a job, exported back."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import fakeredis
import pytest
from openpyxl import load_workbook
from rq import Queue
from sqlalchemy import func, select

from portal.clients.job_queue import QUEUE_IMPORTS
from portal.extensions import db
from portal.models import (
    AreaLevel,
    AuditEvent,
    BasicStatusRecord,
    ImportRun,
    NeedItem,
    NeedsRecord,
    Resident,
    Role,
)
from portal.services.people.residents import find_by_id_number, register_resident
from portal.services.surveys.survey_import import template_header
from tests.factories import create_area, create_user
from tests.import_files import id_number, survey_row, to_csv, to_xlsx
from tests.xlsx_raw import write_xlsx

YEAR = date.today().year
UPLOAD = "/admin/imports"


@pytest.fixture
def world(app, tmp_path, monkeypatch):
    # Put back afterwards, not removed: every later test on this worker posts with this app.
    monkeypatch.setitem(app.config, "IMPORT_FOLDER", str(tmp_path / "imports"))
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    far_village = create_area("511322101201", AreaLevel.VILLAGE, parent_id=elsewhere.id)
    staff = create_user(Role.COUNTY_STAFF, area_id=county.id, name="县残联")
    outsider = create_user(Role.COUNTY_STAFF, area_id=elsewhere.id)
    db.session.commit()
    yield {
        "county": county,
        "village": village,
        "far_village": far_village,
        "staff": staff,
        "outsider": outsider,
    }


@pytest.fixture
def staff(client_request, world):
    client_request.login(world["staff"])
    client_request.set_locale("en")
    return world["staff"]


def header() -> list[str]:
    return template_header(db.session)


def good_file(**changes: str) -> bytes:
    h = header()
    return to_csv(
        [
            h,
            survey_row(h, id_number=id_number(1), name="王一", **{"ACC.WHEELCHAIR": "1"}),
            survey_row(
                h,
                id_number=id_number(2),
                name="李二",
                level="",
                phone="",
                **{"AT.MOBILITY": "是", "ACC.WHEELCHAIR": "否"} | changes,
            ),
        ]
    )


def upload(client_request, data: bytes, name: str = "survey.csv", status: int = 303, **kw):
    return client_request.post(
        UPLOAD,
        {"import-year": str(YEAR), "import-file": (io.BytesIO(data), name)},
        expected_status=status,
        content_type="multipart/form-data",
        **kw,
    )


def last_run() -> ImportRun:
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
    assert run is not None
    db.session.refresh(run)
    return run


def counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Resident, BasicStatusRecord, NeedsRecord)
    )


def error_rows(page) -> list[tuple[str, str, str]]:
    table = page.find("caption", id="errors-caption").find_parent("table")
    return [
        tuple(cell.get_text(" ", strip=True) for cell in row.find_all("td"))
        for row in table.tbody.find_all("tr")
    ]


def download(client_request, url: str) -> bytes:
    client_request.get(url)
    return client_request.response.get_data()


def apply(client_request, run: ImportRun) -> None:
    client_request.post(f"/admin/imports/{run.id}/apply", expected_status=303)


def test_a_good_file_is_checked_first_then_applied(client_request, staff):
    upload(client_request, good_file())
    run = last_run()
    page = client_request.get(f"/admin/imports/{run.id}")
    assert "No errors were found in the 2 rows" in page.get_text()
    assert counts() == (0, 0, 0), "the dry run changes nothing"
    assert page.find("button", string="Apply the import")

    apply(client_request, run)
    run = last_run()
    assert (run.status, run.rows_done, run.rows_changed) == ("applied", 2, 2)
    page = client_request.get(f"/admin/imports/{run.id}")
    assert "2 of 2 rows changed something" in page.get_text()
    assert not page.find("meta", attrs={"http-equiv": "refresh"})
    first = find_by_id_number(db.session, id_number(1))
    assert first is not None and first.name == "王一" and first.disability_level == 2
    assert first.phone == "+8613900000001"
    record = db.session.scalar(select(NeedsRecord).where(NeedsRecord.resident_id == first.id))
    assert record is not None and record.import_run_id == run.id and record.year == YEAR
    assert {(a.need_item.code, a.needed) for a in record.answers} == {("ACC.WHEELCHAIR", True)}
    basic = db.session.scalar(
        select(BasicStatusRecord).where(BasicStatusRecord.resident_id == first.id)
    )
    assert basic is not None
    assert (basic.income_support, basic.employed, basic.medical_insurance) == (True, False, True)
    second = find_by_id_number(db.session, id_number(2))
    assert second is not None and second.disability_level is None and second.phone is None
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey_import.apply"))
    assert audit is not None and audit.actor_id == staff.id and audit.data["changed"] == 2


def test_reimporting_the_same_file_changes_nothing(client_request, staff):
    upload(client_request, good_file())
    first_run = last_run()
    apply(client_request, first_run)
    before = counts()
    upload(client_request, good_file())
    run = last_run()
    apply(client_request, run)
    run = last_run()
    assert (run.status, run.rows_done, run.rows_changed) == ("applied", 2, 0)
    assert counts() == before
    records = db.session.scalars(select(NeedsRecord.import_run_id)).all()
    assert set(records) == {first_run.id}


def test_a_changed_row_is_updated_and_needs_confirming_again(client_request, staff):
    upload(client_request, good_file())
    apply(client_request, last_run())
    second = find_by_id_number(db.session, id_number(2))
    record = db.session.scalar(select(NeedsRecord).where(NeedsRecord.resident_id == second.id))
    record.confirmed_at, record.confirmation_method = record.created_at, "portal"
    db.session.commit()

    upload(client_request, good_file(**{"ACC.WHEELCHAIR": "1"}))
    run = last_run()
    apply(client_request, run)
    run = last_run()
    assert run.rows_changed == 1
    db.session.refresh(record)
    assert record.confirmed_at is None and record.import_run_id == run.id
    wheelchair = db.session.scalar(select(NeedItem.id).where(NeedItem.code == "ACC.WHEELCHAIR"))
    assert {a.need_item_id: a.needed for a in record.answers}[wheelchair] is True


def bad_cases(world) -> dict[str, tuple[list[list[str]], list[tuple[str, str, str]]]]:
    h = header()
    ok = survey_row(h, id_number=id_number(1))
    wrong_checksum = id_number(2)[:-1] + ("0" if id_number(2)[-1] != "0" else "1")
    return {
        "wrong columns": (
            [[c for c in h if c != "AT.MOBILITY"] + ["remarks"], ok],
            [
                ("Whole file", "", "These template columns are missing: AT.MOBILITY"),
                ("Whole file", "", "These columns are not in the template: remarks"),
            ],
        ),
        "invalid ID numbers": (
            [h, ok, survey_row(h, id_number=wrong_checksum), survey_row(h, id_number="12345")],
            [
                (
                    "3",
                    "id_number",
                    "This ID number's last character does not match: check it for a typing mistake",
                ),
                ("4", "id_number", "Enter the 18-character resident ID number"),
            ],
        ),
        "unknown and out-of-scope area codes": (
            [
                h,
                survey_row(h, id_number=id_number(1), area_code="511321999999"),
                survey_row(h, id_number=id_number(2), area_code=world["far_village"].code),
                survey_row(h, id_number=id_number(3), area_code="5113"),
            ],
            [
                ("2", "area_code", "There is no area with this code"),
                ("3", "area_code", "This area is outside the areas you are responsible for"),
                ("4", "area_code", "The area code must be 12 digits"),
            ],
        ),
        "duplicate rows": (
            [h, ok, survey_row(h, id_number=id_number(2)), ok],
            [("4", "id_number", "The same ID number is already on row 2")],
        ),
        "bad dates, categories, levels and answers": (
            [
                h,
                survey_row(h, id_number=id_number(1), visit_date="2020-13-01", category="8"),
                survey_row(h, id_number=id_number(2), visit_date=f"{YEAR - 1}-05-01", level="5"),
                survey_row(h, id_number=id_number(3), visit_date=f"{YEAR + 1}-01-01"),
                survey_row(h, id_number=id_number(4), employed="maybe", living_arrangement="x"),
            ],
            [
                ("2", "category", "The disability category must be a number from 1 to 7"),
                ("2", "visit_date", "The visit date must be a date written as YYYY-MM-DD"),
                ("3", "level", "The disability level must be a number from 1 to 4, or empty"),
                ("3", "visit_date", f"The visit date is not in {YEAR}, the year of this import"),
                ("4", "visit_date", "The visit date is in the future"),
                (
                    "5",
                    "living_arrangement",
                    "Living arrangement must be with_family, with_spouse, alone, institution or "
                    "empty",
                ),
                ("5", "employed", "The answer must be 1 or 是 (yes), 0 or 否 (no), or empty"),
            ],
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "wrong columns",
        "invalid ID numbers",
        "unknown and out-of-scope area codes",
        "duplicate rows",
        "bad dates, categories, levels and answers",
    ],
)
def test_a_bad_file_gets_a_report_and_changes_nothing(client_request, world, staff, kind):
    rows, expected = bad_cases(world)[kind]
    upload(client_request, to_csv(rows))
    run = last_run()
    page = client_request.get(f"/admin/imports/{run.id}")
    assert run.status == "rejected"
    assert sorted(error_rows(page)) == sorted(expected)
    assert "Nothing was changed" in page.get_text()
    assert not page.find("button", string="Apply the import")
    client_request.post(f"/admin/imports/{run.id}/apply", expected_status=303)
    assert last_run().status == "rejected"
    assert counts() == (0, 0, 0)


def test_files_that_cannot_be_read_are_reported(client_request, staff):
    h = header()
    gbk = to_csv([h, survey_row(h, id_number=id_number(1))], encoding="gbk")
    upload(client_request, gbk)
    page = client_request.get(f"/admin/imports/{last_run().id}")
    assert error_rows(page) == [
        (
            "Whole file",
            "",
            "The CSV file is not in UTF-8: save it again as “CSV UTF-8” and try again",
        )
    ]
    upload(client_request, b"PK\x03\x04 not really a workbook", name="survey.xlsx")
    page = client_request.get(f"/admin/imports/{last_run().id}")
    assert "could not be read" in error_rows(page)[0][2]
    page = upload(client_request, b"a,b", name="survey.txt", status=400)
    assert "The file must be a CSV or XLSX file" in page.find(class_="error-summary").get_text()
    page = client_request.post(UPLOAD, {"import-year": str(YEAR)}, expected_status=400)
    assert "Choose the CSV or XLSX file to check" in page.find(class_="error-summary").get_text()
    assert counts() == (0, 0, 0)


def test_a_file_over_20_mb_is_refused_at_once(client_request, staff):
    h = header()
    big = to_csv([h]) + b"x" * (50 * 1024 * 1024)
    page = upload(client_request, big, status=413)
    assert "larger than 20 MB" in page.find(class_="error-summary").get_text()
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_csv_with_a_bom_and_xlsx_are_read(client_request, staff):
    h = header()
    upload(client_request, to_csv([h, survey_row(h, id_number=id_number(1))], bom=True))
    assert last_run().status == "checked"
    sheet = [h, survey_row(h, id_number=id_number(2))]
    sheet[1][h.index("category")] = 4  # typed as numbers in Excel
    sheet[1][h.index("visit_date")] = date(YEAR, 1, 10)
    upload(client_request, to_xlsx(sheet), name="survey.xlsx")
    run = last_run()
    assert run.status == "checked", run.errors
    apply(client_request, run)
    assert find_by_id_number(db.session, id_number(2)) is not None


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_round_trips(client_request, staff, kind):
    upload(client_request, good_file())
    apply(client_request, last_run())
    data = download(client_request, f"/admin/imports/export-{kind}?year={YEAR}")
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        book = load_workbook(io.BytesIO(data), read_only=True)
        rows = [
            ["" if v is None else str(v) for v in r]
            for r in book.active.iter_rows(values_only=True)
        ]
    assert rows[0] == header()
    assert sorted(row[0] for row in rows[1:]) == [id_number(1), id_number(2)]
    exported = db.session.scalars(
        select(AuditEvent.resident_id).where(AuditEvent.action == "survey.export")
    ).all()
    assert len(exported) == 2, "each exported resident's record is an audited read"

    upload(client_request, data, name=f"export.{kind}")
    run = last_run()
    assert run.status == "checked", run.errors
    apply(client_request, run)
    assert last_run().rows_changed == 0


def test_scope(client_request, world, staff):
    """Other counties' staff see neither the run nor the residents; a resident registered in
    another county cannot be moved in by an import."""
    upload(client_request, good_file())
    run = last_run()
    client_request.login(world["outsider"])
    client_request.get(f"/admin/imports/{run.id}", expected_status=404)
    client_request.post(f"/admin/imports/{run.id}/apply", expected_status=404)
    page = client_request.get(UPLOAD)
    assert "survey.csv" not in page.get_text()
    assert last_run().status == "checked"

    client_request.login(world["staff"])
    apply(client_request, run)
    client_request.login(world["outsider"])
    data = download(client_request, f"/admin/imports/export-csv?year={YEAR}")
    assert data.decode("utf-8-sig").strip() == ",".join(header())

    register_resident(
        db.session,
        name="赵远",
        area=world["far_village"],
        disability_category=1,
        id_number=id_number(9),
        today=date.today(),
    )
    db.session.commit()
    client_request.login(world["staff"])
    h = header()
    upload(client_request, to_csv([h, survey_row(h, id_number=id_number(9))]))
    page = client_request.get(f"/admin/imports/{last_run().id}")
    assert error_rows(page) == [
        (
            "2",
            "id_number",
            "This resident is registered in an area outside the areas you are responsible for",
        )
    ]


@pytest.mark.parametrize(
    "role", [Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.SUPERVISOR, Role.INSTITUTION]
)
def test_only_county_staff_and_admins_may_import(client_request, world, role):
    client_request.login(world["staff"])
    upload(client_request, good_file())
    run = last_run()
    client_request.login(create_user(role, area_id=world["county"].id))
    db.session.commit()
    for url in (UPLOAD, f"/admin/imports/{run.id}", "/admin/imports/template-csv"):
        client_request.get(url, expected_status=404)
    upload(client_request, good_file(), status=404)
    client_request.post(f"/admin/imports/{run.id}/apply", expected_status=404)
    assert last_run().status == "checked"
    assert counts() == (0, 0, 0)


def test_an_admin_may_import_anywhere(client_request, world):
    client_request.login(create_user(Role.ADMIN))
    db.session.commit()
    h = header()
    upload(
        client_request,
        to_csv([h, survey_row(h, id_number=id_number(1), area_code=world["far_village"].code)]),
    )
    apply(client_request, last_run())
    assert last_run().rows_changed == 1


def test_progress_page_refreshes_politely_while_applying(client_request, staff):
    upload(client_request, good_file())
    run = last_run()
    run.status, run.rows_done = "applying", 1
    db.session.commit()
    page = client_request.get(f"/admin/imports/{run.id}")
    assert page.find("meta", attrs={"http-equiv": "refresh"})["content"] == "5"
    status = page.find(attrs={"role": "status"})
    assert "Applied 1 of 2 rows." in status.get_text()
    assert "refreshes itself every 5 seconds" in status.get_text()
    page = client_request.get(f"/admin/imports/{run.id}?refresh=off")
    assert not page.find("meta", attrs={"http-equiv": "refresh"})


def test_templates_download_with_the_header_row(client_request, staff):
    data = download(client_request, "/admin/imports/template-csv")
    assert data.decode("utf-8-sig").strip() == ",".join(header())
    data = download(client_request, "/admin/imports/template-xlsx")
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert [list(r) for r in book.active.iter_rows(values_only=True)] == [header()]


def test_a_file_gone_before_applying_fails_the_run_and_changes_nothing(client_request, staff):
    upload(client_request, good_file())
    run = last_run()
    for path in Path(client_request.client.application.config["IMPORT_FOLDER"]).iterdir():
        path.unlink()
    apply(client_request, run)
    page = client_request.get(f"/admin/imports/{run.id}")
    assert last_run().status == "failed"
    assert error_rows(page) == [
        ("Whole file", "", "The uploaded file was no longer there: upload it again")
    ]
    assert counts() == (0, 0, 0)


def test_an_import_whose_worker_died_is_resumed_by_the_scheduler(client_request, staff):
    from portal.jobs.periodic import IMPORT_SILENT_AFTER, resume_imports

    upload(client_request, good_file())
    run = last_run()
    run.status, run.progress_at = "applying", datetime.now(UTC)  # as if its job were running
    db.session.commit()
    assert resume_imports() == 0, "a run that made progress lately is left to its job"
    run = last_run()
    run.progress_at = datetime.now(UTC) - IMPORT_SILENT_AFTER - timedelta(minutes=1)
    db.session.commit()
    assert resume_imports() == 1  # inline without Redis: the job runs on commit
    run = last_run()
    assert (run.status, run.rows_done, run.rows_changed) == ("applied", 2, 2)
    assert counts()[0] == 2


# ---------------------------------------------------------------------------------------------
# Bounded work (#11, point 7): the upload only stores the file; a job checks it, streaming, up
# to the row cap, and reports its progress; the dry run is audited (#11, point 9).


@pytest.fixture
def rq_mode(app):
    """Jobs wait in a (fake) Redis queue instead of running after commit."""
    connection = fakeredis.FakeRedis()
    app.extensions["redis"] = connection
    yield connection
    del app.extensions["redis"]


def check_import(run_id: int) -> None:
    """The dry run's job, as a worker runs it."""
    from portal.jobs.imports import check_import

    check_import(run_id)


def queued(connection, name: str = QUEUE_IMPORTS) -> list[tuple[str, tuple]]:
    jobs = Queue(name, connection=connection).get_jobs()
    return [(job.func_name.rpartition(".")[2], job.args) for job in jobs]


def test_the_upload_only_stores_the_file_and_queues_the_check(client_request, staff, rq_mode):
    upload(client_request, good_file())
    run = last_run()
    assert (run.status, run.rows_total, run.errors) == ("checking", 0, [])
    assert queued(rq_mode) == [("check_import", (run.id,))], "checked by a job, not the request"
    folder = Path(client_request.client.application.config["IMPORT_FOLDER"])
    assert [path.read_bytes() for path in folder.iterdir()] == [good_file()]
    page = client_request.get(f"/admin/imports/{run.id}")
    assert page.find("meta", attrs={"http-equiv": "refresh"})["content"] == "5"
    assert "Being checked" in page.get_text()
    assert "waiting to be checked" in page.find(attrs={"role": "status"}).get_text()
    assert not page.find("button", string="Apply the import")

    check_import(run.id)  # as the worker would
    run = last_run()
    assert (run.status, run.rows_total, run.rows_done) == ("checked", 2, 0)
    assert [path.suffix for path in folder.iterdir()] == [".jsonl"], "the rows kept to apply"
    page = client_request.get(f"/admin/imports/{run.id}")
    assert not page.find("meta", attrs={"http-equiv": "refresh"})
    assert page.find("button", string="Apply the import")


def test_the_dry_run_reports_its_progress_like_the_apply_step(client_request, staff, rq_mode):
    upload(client_request, good_file())
    run = last_run()
    run.rows_total, run.rows_done = 1200, 500
    db.session.commit()
    page = client_request.get(f"/admin/imports/{run.id}")
    assert page.find("meta", attrs={"http-equiv": "refresh"})["content"] == "5"
    status = page.find(attrs={"role": "status"})
    assert "Checked 500 of 1200 rows." in status.get_text()
    assert page.find("progress", id="import-progress")["value"] == "500"
    assert "refreshes itself every 5 seconds until the check is finished" in status.get_text()
    assert page.find("a", string="Stop refreshing this page")
    page = client_request.get(f"/admin/imports/{run.id}?refresh=off")
    assert not page.find("meta", attrs={"http-equiv": "refresh"})
    assert page.find("a", string="Refresh to see the progress")


def test_the_check_commits_its_progress_batch_by_batch(client_request, staff, rq_mode, monkeypatch):
    from portal.jobs import imports as jobs

    h = header()
    rows = [survey_row(h, id_number=id_number(n), name=f"居民{n}") for n in range(1, 1202)]
    upload(client_request, to_csv([h, *rows]))
    run = last_run()
    seen = []
    progress = jobs._progress
    monkeypatch.setattr(
        jobs, "_progress", lambda r, done: (seen.append((r.rows_done, done)), progress(r, done))
    )
    check_import(run.id)
    assert [done for _, done in seen] == [0, 500, 1000, 1201]
    run = last_run()
    assert (run.status, run.rows_total) == ("checked", 1201)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_over_the_row_cap_is_refused_naming_the_cap(app, client_request, staff, kind):
    app.config["IMPORT_ROW_CAP"] = 3
    try:
        h = header()
        rows = [h, *(survey_row(h, id_number=id_number(n)) for n in range(1, 5))]
        data = to_csv(rows) if kind == "csv" else to_xlsx(rows)
        upload(client_request, data, name=f"survey.{kind}")
        run = last_run()
        assert run.status == "rejected"
        page = client_request.get(f"/admin/imports/{run.id}")
        assert error_rows(page) == [
            (
                "Whole file",
                "",
                "The file has more than 3 rows: split it into files of at most 3 rows",
            )
        ]

        upload(client_request, to_csv(rows[:4]), name="survey.csv")  # exactly the cap
        assert last_run().status == "checked"
    finally:
        app.config["IMPORT_ROW_CAP"] = 200_000
    assert counts() == (0, 0, 0)


def test_the_row_cap_is_shown_on_the_upload_page(client_request, staff):
    page = client_request.get(UPLOAD)
    assert "At most 200,000 rows." in page.find(id="import-file-hint").get_text()


def test_blank_rows_count_towards_the_cap_even_when_the_sheet_skips_them(
    app, client_request, staff, tmp_path
):
    """A sheet can jump from row 3 to row 1,000,000: the rows in between are read as blank."""
    h = header()
    path = tmp_path / "sparse.xlsx"
    write_xlsx(path, [h, survey_row(h, id_number=id_number(1))], numbers=[1, 1_000_000])
    upload(client_request, path.read_bytes(), name="sparse.xlsx")
    run = last_run()
    assert run.status == "rejected"
    assert run.errors == [{"row": 0, "field": "", "code": "too_many_rows", "cap": 200_000}]


def test_a_sheet_s_declared_size_is_not_trusted(client_request, staff, tmp_path):
    """Rows past a too-small <dimension> are read; a huge one adds no empty rows or columns."""
    h = header()
    rows = [h, *(survey_row(h, id_number=id_number(n)) for n in range(1, 4))]
    for dimension in ("A1:A1", "A1:XFD1048576"):
        path = tmp_path / "survey.xlsx"
        write_xlsx(path, rows, dimension=dimension)
        upload(client_request, path.read_bytes(), name="survey.xlsx")
        run = last_run()
        assert (run.status, run.rows_total) == ("checked", 3), (dimension, run.errors)


def test_streaming_keeps_the_check_s_memory_flat(client_request, staff, rq_mode, tmp_path):
    """10,000 rows, each wrong in several fields: the job holds neither the table nor every
    error (the old code held both, and padded each row to the sheet's declared width)."""
    h = header()
    path = tmp_path / "big.xlsx"
    write_xlsx(
        path,
        [h, *([id_number(n), "张三", "5113", "9"] for n in range(10_000))],
        dimension="A1:ZZ10001",
    )
    upload(client_request, path.read_bytes(), name="big.xlsx")
    run = last_run()
    tracemalloc.start()
    try:
        check_import(run.id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    run = last_run()
    assert run.status == "rejected" and run.rows_total == 10_000
    assert len(run.errors) == 1001 and run.errors[-1]["code"] == "more_errors"
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_the_dry_run_is_audited(client_request, staff):
    upload(client_request, good_file())
    bad = to_csv([header(), survey_row(header(), id_number="12345")])
    upload(client_request, bad, name="bad.csv")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey_import.check").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.object_type) for e in events] == [(staff.id, "import_run")] * 2
    assert [
        {k: e.data[k] for k in ("filename", "year", "rows", "errors", "status")} for e in events
    ] == [
        {"filename": "survey.csv", "year": YEAR, "rows": 2, "errors": 0, "status": "checked"},
        {"filename": "bad.csv", "year": YEAR, "rows": 1, "errors": 1, "status": "rejected"},
    ]


def test_a_name_with_control_characters_is_refused_before_it_reaches_the_database(
    client_request, staff
):
    h = header()
    upload(client_request, to_csv([h, survey_row(h, id_number=id_number(1), name="王\x00一")]))
    page = client_request.get(f"/admin/imports/{last_run().id}")
    assert error_rows(page) == [
        (
            "2",
            "name",
            "Remove the hidden control characters: they can come in when text is pasted",
        )
    ]


def test_a_check_whose_worker_died_is_started_again_by_the_scheduler(
    client_request, staff, rq_mode
):
    from portal.jobs.periodic import IMPORT_SILENT_AFTER, resume_imports

    upload(client_request, good_file())
    run = last_run()
    assert resume_imports() == 0, "a run that made progress lately is left to its job"
    run.progress_at = datetime.now(UTC) - IMPORT_SILENT_AFTER - timedelta(minutes=1)
    db.session.commit()
    assert resume_imports() == 1
    assert queued(rq_mode)[-1] == ("check_import", (run.id,))
