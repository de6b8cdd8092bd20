"""Bulk imports of a year's survey data: each run, its dry-run report and its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin


class ImportRun(IdMixin, CreatedMixin, Base):
    """One uploaded file: checked first (dry run), then applied, with its progress."""

    __tablename__ = "import_run"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))  # the user's scope at upload
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int]
    # checking, checked, rejected, applying, applied, failed
    status: Mapped[str] = mapped_column(String(16))
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_changed: Mapped[int] = mapped_column(default=0)
    # [{"row": 12, "field": "id_number", "code": "invalid_id_number"}, ...] (worded when shown)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None]
    # When an applying run last committed a batch: a run silent for long lost its worker and is
    # resumed by the scheduler (portal/jobs/periodic.py).
    progress_at: Mapped[datetime | None]
