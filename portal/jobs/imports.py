"""Applying a checked survey import, in batches, with its progress committed after each one.

The job is safe to run again (a lost worker, a re-enqueue): it resumes after the rows already
done, and applying a row twice changes nothing the second time. The file is checked again
first, since areas or residents may have changed since the dry run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from portal.extensions import db
from portal.models import ImportRun, User
from portal.services.calendar_admin import local_today
from portal.services.survey_import import (
    APPLYING,
    BATCH,
    FAILED,
    ImportFileError,
    apply_rows,
    check_table,
    finish_run,
    read_table,
    stored_file,
)

log = logging.getLogger(__name__)


def apply_import(run_id: int) -> None:
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != APPLYING:
        return
    user = db.session.get_one(User, run.user_id)
    path = stored_file(Path(current_app.config["IMPORT_FOLDER"]), run)
    now = datetime.now(UTC)
    today = local_today(now)
    try:
        table = read_table(path.read_bytes(), run.filename)
    except (OSError, ImportFileError):
        log.warning("import file missing or unreadable", extra={"import_run": run.id})
        _fail(run, [{"row": 0, "field": "", "code": "file_gone"}])
        return
    result = check_table(db.session, user, table, year=run.year, today=today)
    if result.errors:
        _fail(run, result.errors)
        return
    run.rows_total = len(result.rows)
    for start in range(run.rows_done, len(result.rows), BATCH):
        batch = result.rows[start : start + BATCH]
        run.rows_changed += apply_rows(db.session, run, batch, today=today)
        run.rows_done = start + len(batch)
        run.progress_at = datetime.now(UTC)
        db.session.commit()
    finish_run(db.session, run, now=datetime.now(UTC))
    db.session.commit()
    path.unlink(missing_ok=True)


def _fail(run: ImportRun, errors: list[dict[str, object]]) -> None:
    run.status = FAILED
    run.errors = errors
    run.finished_at = datetime.now(UTC)
    db.session.commit()
