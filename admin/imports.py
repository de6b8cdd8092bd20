"""Bulk import of a year's survey data (/admin/imports): upload, dry run, apply, export.

County staff (and administrators) upload a CSV or XLSX file in the documented template
(docs/import.md). The upload only stores the file: a job checks it in full (the dry run) while
the run's page shows its progress, and the report lists every bad row and field; nothing
changes until the user confirms, and then a job applies it in batches, the page again showing
progress. The logic is in `portal.services.surveys.survey_import` and `portal.jobs.imports`.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField

from admin import bp
from admin.downloads import csv_file, xlsx_file
from portal.auth import roles_required
from portal.clients.job_queue import QUEUE_IMPORTS, after_commit
from portal.extensions import csrf, db
from portal.form_tokens import Made, OneSubmitForm, made_before, submit_once
from portal.forms import BaseForm
from portal.jobs.imports import apply_import, check_import
from portal.models import ImportRun, Role
from portal.models.submission import FormSubmission
from portal.services.sla.calendar_admin import local_today
from portal.services.surveys.survey_export import export_batches
from portal.services.surveys.survey_import import (
    APPLYING,
    CHECKED,
    CHECKING,
    MAX_BYTES,
    REJECTED,
    create_run,
    runs_for,
    stored_file,
    template_header,
)

#: Seconds between refreshes of a run's page while it is being checked or applied.
REFRESH_SECONDS = 5
RECENT_RUNS = 20
#: Error parameters shown as numbers in the user's locale (200,000).
NUMBER_PARAMS = frozenset({"cap"})

STATUS_LABELS = {
    CHECKING: _l("Being checked"),
    CHECKED: _l("Checked: ready to apply"),
    REJECTED: _l("Not applied: the file has errors"),
    APPLYING: _l("Being applied"),
    "applied": _l("Applied"),
    "failed": _l("Not applied: the check before applying failed"),
}

ERROR_MESSAGES = {
    # Resident ID number problems: the wording of the resident forms (services.identifiers).
    "id_format": _l("Enter the 18-character resident ID number"),
    "id_checksum": _l(
        "This ID number's last character does not match: check it for a typing mistake"
    ),
    "id_date": _l("The birth date in this ID number is not a real date"),
    "id_date_future": _l("The birth date in this ID number is in the future"),
    "id_date_too_early": _l("The birth date in this ID number is before 1900"),
    "unreadable": _l("The file could not be read: save it as CSV (UTF-8) or XLSX and try again"),
    "not_utf8": _l("The CSV file is not in UTF-8: save it again as “CSV UTF-8” and try again"),
    "empty": _l("The file is empty: the first row must be the template's header row"),
    "missing_columns": _l("These template columns are missing: %(columns)s"),
    "unknown_columns": _l("These columns are not in the template: %(columns)s"),
    "more_errors": _l("%(count)s more errors are not listed: correct these first"),
    "too_many_rows": _l(
        "The file has more than %(cap)s rows: split it into files of at most %(cap)s rows"
    ),
    "unpacked_too_large": _l(
        "The workbook is too large once unpacked: save it as CSV (UTF-8) or split it"
    ),
    "file_gone": _l("The uploaded file was no longer there: upload it again"),
    "required": _l("This field is empty: it is needed"),
    "name_too_long": _l("The name is longer than %(limit)s characters"),
    "control_characters": _l(
        "Remove the hidden control characters: they can come in when text is pasted"
    ),
    "area_format": _l("The area code must be 12 digits"),
    "unknown_area": _l("There is no area with this code"),
    "area_out_of_scope": _l("This area is outside the areas you are responsible for"),
    "resident_out_of_scope": _l(
        "This resident is registered in an area outside the areas you are responsible for"
    ),
    "category": _l("The disability category must be a number from 1 to 7"),
    "level": _l("The disability level must be a number from 1 to 4, or empty"),
    "phone": _l("This is not a mobile phone number we can use"),
    "date_format": _l("The visit date must be a date written as YYYY-MM-DD"),
    "date_future": _l("The visit date is in the future"),
    "date_year": _l("The visit date is not in %(year)s, the year of this import"),
    "living_arrangement": _l(
        "Living arrangement must be with_family, with_spouse, alone, institution or empty"
    ),
    "yes_no": _l("The answer must be 1 or 是 (yes), 0 or 否 (no), or empty"),
    "duplicate": _l("The same ID number is already on row %(first_row)s"),
}


def describe(error: dict[str, Any]) -> str:
    """An error entry of a run in the user's language."""
    params = {
        k: format_decimal(v) if k in NUMBER_PARAMS else v
        for k, v in error.items()
        if k not in ("row", "field", "code")
    }
    message = ERROR_MESSAGES.get(error.get("code", ""))
    return str(message) % params if message is not None else str(error.get("code"))


def _years() -> list[tuple[str, str]]:
    this_year = local_today(datetime.now(UTC)).year
    return [(str(year), str(year)) for year in range(this_year, this_year - 3, -1)]


class UploadForm(BaseForm):
    year = SelectField(_l("Survey year"))
    file = FileField(
        _l("File (CSV or XLSX, at most 20 MB)"),
        validators=[FileRequired(_l("Choose the CSV or XLSX file to check"))],
    )


class ApplyForm(OneSubmitForm):
    """Apply a checked run (nothing to fill in): a double click applies it once."""

    submission_kind = "import_apply"


def _form(**kw: Any) -> UploadForm:
    form = UploadForm(prefix="import", **kw)
    form.year.choices = _years()
    return form


@bp.get("/imports")
@roles_required(Role.COUNTY_STAFF)
def imports() -> ResponseReturnValue:
    return _page(_form())


# The CSRF check is made by the form (FlaskForm checks its token) rather than by CSRFProtect
# before the view: CSRFProtect would read the body under the site's 2 MB limit, and this view
# must first raise the limit to the import's 20 MB (and refuse larger files with a clear page).
@bp.post("/imports")
@csrf.exempt
@roles_required(Role.COUNTY_STAFF)
def import_upload() -> ResponseReturnValue:
    if (request.content_length or 0) > MAX_BYTES:
        return _too_large()
    request.max_content_length = MAX_BYTES
    try:
        form = _form()  # reads the body
    except RequestEntityTooLarge:
        return _too_large()
    valid = form.validate_on_submit()
    filename = form.file.data.filename if valid else ""
    if valid and not filename.lower().endswith((".csv", ".xlsx")):
        form.file.errors = [_("The file must be a CSV or XLSX file")]
        valid = False
    if not valid:
        return _page(form), 400
    # Only stored here: reading and checking it is a job's work (the run's page shows how far
    # it has come), so a large file never holds a web worker.
    folder = Path(current_app.config["IMPORT_FOLDER"])
    received, sha256 = _receive(form.file.data, folder)
    run = create_run(
        db.session,
        current_user,
        filename=filename,
        sha256=sha256,
        year=int(form.year.data),
        now=datetime.now(UTC),
    )
    received.replace(stored_file(folder, run))
    after_commit(db.session, QUEUE_IMPORTS, check_import, run.id)
    db.session.commit()
    return redirect(url_for("admin.import_run", run_id=run.id), 303)


def _receive(upload: FileStorage, folder: Path) -> tuple[Path, str]:
    """Copy the upload into `folder` a chunk at a time; its path there and its SHA-256."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".upload", delete=False) as out:
        while chunk := upload.stream.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
    return Path(out.name), digest.hexdigest()


def _too_large() -> ResponseReturnValue:
    """The upload page with the size error, without reading the body (it is never read)."""
    form = _form(formdata=None)
    form.file.errors = [_("The file is larger than 20 MB: split it into smaller files")]
    return _page(form), 413


def _page(form: UploadForm) -> str:
    runs = db.session.scalars(runs_for(db.session, current_user).limit(RECENT_RUNS)).all()
    return render_template(
        "admin/imports.html",
        title=_("Import survey data"),
        form=form,
        runs=runs,
        statuses=STATUS_LABELS,
        row_cap=format_decimal(current_app.config["IMPORT_ROW_CAP"]),
    )


def _run_or_404(run_id: int) -> ImportRun:
    run = db.session.scalar(runs_for(db.session, current_user).where(ImportRun.id == run_id))
    if run is None:
        abort(404)
    return run


@bp.get("/imports/<int:run_id>")
@roles_required(Role.COUNTY_STAFF)
def import_run(run_id: int) -> ResponseReturnValue:
    return _run_page(_run_or_404(run_id), ApplyForm(prefix="apply"))


def _run_page(run: ImportRun, form: ApplyForm) -> str:
    errors = [(error, describe(error)) for error in run.errors or []]
    return render_template(
        "admin/import_run.html",
        title=_("Import of %(filename)s", filename=run.filename),
        run=run,
        errors=errors,
        statuses=STATUS_LABELS,
        # "Stop refreshing" (WCAG 2.2.1): the page then refreshes only when asked.
        refresh=REFRESH_SECONDS
        if run.status in (CHECKING, APPLYING) and request.args.get("refresh") != "off"
        else None,
        form=form,
    )


@bp.post("/imports/<int:run_id>/apply")
@roles_required(Role.COUNTY_STAFF)
def import_apply(run_id: int) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    form = ApplyForm(prefix="apply")
    first = made_before(form)  # the run is applying now: show it, not a refusal
    if first is not None:
        return _applying(first)
    if run.status != CHECKED:
        flash(_("This import has already been applied or cannot be applied."), "info")
        return redirect(url_for("admin.import_run", run_id=run.id), 303)
    if not form.validate_on_submit():
        return _run_page(run, form), 400
    now = datetime.now(UTC)

    def make() -> Made:
        run.status = APPLYING
        run.progress_at = now
        after_commit(db.session, QUEUE_IMPORTS, apply_import, run.id)
        return Made(run.id)

    return submit_once(form, make, _applying, now=now)


def _applying(submission: FormSubmission) -> ResponseReturnValue:
    return redirect(url_for("admin.import_run", run_id=submission.record_id), 303)


@bp.get("/imports/template-csv")
@roles_required(Role.COUNTY_STAFF)
def import_template_csv() -> ResponseReturnValue:
    return csv_file([template_header(db.session)], "survey-template.csv")


@bp.get("/imports/template-xlsx")
@roles_required(Role.COUNTY_STAFF)
def import_template_xlsx() -> ResponseReturnValue:
    return xlsx_file([("survey", [template_header(db.session)])], "survey-template.xlsx")


@bp.get("/imports/export-csv")
@roles_required(Role.COUNTY_STAFF)
def import_export_csv() -> ResponseReturnValue:
    year = _export_year()
    return csv_file(_export(year), f"survey-{year}.csv")


@bp.get("/imports/export-xlsx")
@roles_required(Role.COUNTY_STAFF)
def import_export_xlsx() -> ResponseReturnValue:
    year = _export_year()
    return xlsx_file([(str(year), _export(year))], f"survey-{year}.xlsx")


def _export_year() -> int:
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= 2100:
        abort(400)
    return year


def _export(year: int) -> Iterator[list[str]]:
    """The rows as the download sends them, each batch's audit committed before its rows."""
    for batch in export_batches(
        db.session, current_user, year, now=datetime.now(UTC), ip_address=request.remote_addr
    ):
        db.session.commit()
        yield from batch
