"""Survey imports as jobs: the dry run (`check_import`) and applying (`apply_import`).

Neither ever runs in a web request (with Redis): the upload view only stores the file and
queues the check. Both stream the file a batch at a time and commit the run's progress after
each batch, so the run's page can show it and memory stays flat whatever the file's size; a
file over IMPORT_ROW_CAP rows is refused after counting them, before any is parsed.

Both are safe to run again (a lost worker, a re-enqueue by the scheduler): the check starts
over, applying resumes after the rows already done (applying a row twice changes nothing the
second time). The file is checked again before it is applied, since areas or residents may
have changed since the dry run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app

from portal.extensions import db
from portal.models import ImportRun, User
from portal.services.sla.calendar_admin import local_today
from portal.services.surveys.survey_apply import apply_rows, finish_run
from portal.services.surveys.survey_files import ImportFileError, count_rows, keep_rows, read_rows
from portal.services.surveys.survey_import import (
    APPLYING,
    CHECKING,
    FAILED,
    CheckResult,
    check_batches,
    checked_file,
    finish_check,
    stored_file,
)
from portal.services.surveys.survey_rows import SurveyRow

log = logging.getLogger(__name__)


def check_import(run_id: int) -> None:
    """The dry run: check an uploaded file row by row; the run becomes checked or rejected."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != CHECKING:
        return
    user = db.session.get_one(User, run.user_id)
    folder = Path(current_app.config["IMPORT_FOLDER"])
    upload, kept = stored_file(folder, run), checked_file(folder, run)
    cap = current_app.config["IMPORT_ROW_CAP"]
    result = CheckResult()
    partial = kept.with_suffix(".part")
    try:
        run.rows_total = count_rows(upload, run.filename, cap)
        if run.rows_total > cap:
            raise ImportFileError("too_many_rows", cap=cap)
        _progress(run, 0)
        with partial.open("w", encoding="utf-8") as out:
            rows = keep_rows(read_rows(upload, run.filename), out)
            for _ in _checked(user, run, rows, result):
                _progress(run, result.rows_read)
    except ImportFileError as error:
        result.refuse(error.code, **error.params)
    except FileNotFoundError:
        log.warning("uploaded import file missing", extra={"import_run": run.id})
        result.refuse("file_gone")
    if result.errors:
        partial.unlink(missing_ok=True)
    else:
        partial.replace(kept)
    finish_check(db.session, run, result, now=datetime.now(UTC))
    db.session.commit()
    upload.unlink(missing_ok=True)


def apply_import(run_id: int) -> None:
    """Apply a checked run in batches, after checking its rows once more."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != APPLYING:
        return
    user = db.session.get_one(User, run.user_id)
    folder = Path(current_app.config["IMPORT_FOLDER"])
    path = checked_file(folder, run)
    if not path.exists():
        path = stored_file(folder, run)  # checked before the rows were kept apart
    today = local_today(datetime.now(UTC))
    check = CheckResult()
    try:
        for _ in _checked(user, run, _rows(path, run), check, today=today):
            _progress(run, run.rows_done)
    except (OSError, ImportFileError):
        log.warning("import file missing or unreadable", extra={"import_run": run.id})
        _fail(run, [{"row": 0, "field": "", "code": "file_gone"}])
        return
    if check.errors:
        _fail(run, check.report())
        return
    run.rows_total = check.rows_total
    _apply(user, run, path, today)
    finish_run(db.session, run, now=datetime.now(UTC))
    db.session.commit()
    path.unlink(missing_ok=True)


def _apply(user: User, run: ImportRun, path: Path, today: date) -> None:
    """Write the rows batch by batch, skipping those a previous attempt already applied."""
    before = 0  # good rows in the batches before this one
    for batch in _checked(user, run, _rows(path, run), CheckResult(), today=today):
        todo = batch[max(0, run.rows_done - before) :]
        before += len(batch)
        if todo:
            run.rows_changed += apply_rows(db.session, run, todo, today=today)
            _progress(run, before)


def _rows(path: Path, run: ImportRun) -> Iterator[list[str]]:
    with closing(read_rows(path, run.filename)) as rows:
        yield from rows


def _checked(
    user: User,
    run: ImportRun,
    rows: Iterator[list[str]],
    result: CheckResult,
    *,
    today: date | None = None,
) -> Iterator[list[SurveyRow]]:
    return check_batches(
        db.session,
        user,
        rows,
        year=run.year,
        today=today or local_today(datetime.now(UTC)),
        cap=current_app.config["IMPORT_ROW_CAP"],
        result=result,
    )


def _progress(run: ImportRun, rows_done: int) -> None:
    """Commit how far the run has come: its page shows it, the scheduler sees it is alive."""
    run.rows_done = rows_done
    run.progress_at = datetime.now(UTC)
    db.session.commit()


def _fail(run: ImportRun, errors: list[dict[str, object]]) -> None:
    run.status = FAILED
    run.errors = errors
    run.finished_at = datetime.now(UTC)
    db.session.commit()
