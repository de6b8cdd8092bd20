"""One counter every process reads to learn that reference data changed (see reference_cache)."""

from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class ReferenceVersion(Base):
    """A single row: bumped in the transaction that changes areas, the catalogue or labels."""

    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
