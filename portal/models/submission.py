"""One submit, one record: what each rendered form (or API request key) already made."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin


class FormSubmission(IdMixin, CreatedMixin, Base):
    """A form's one-time token (or an API client's idempotency key) and the record it made.

    The row is written in the same transaction as the record: a second submit of the same
    form finds it (the unique token) and is shown the record instead of making another.
    """

    __tablename__ = "form_submission"

    # The rendered form's token, or "open311:<key id>:<client key>" for the API.
    token: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # case, need, rating, survey, delivery, ...
    record_id: Mapped[int | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
