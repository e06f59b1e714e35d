"""Articles and the pump and CGM systems they belong to."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.extensions import db


class Category(enum.StrEnum):
    PUMP = "pump"
    CGM_READER = "cgm_reader"
    CGM_TRANSMITTER = "cgm_transmitter"
    CGM_SENSOR = "cgm_sensor"
    INFUSION_SET = "infusion_set"
    RESERVOIR = "reservoir"
    POD = "pod"
    BATTERY = "battery"
    ACCESSORY = "accessory"


DEVICE_CATEGORIES = frozenset({Category.PUMP, Category.CGM_READER})
CGM_CATEGORIES = frozenset(
    {Category.CGM_READER, Category.CGM_TRANSMITTER, Category.CGM_SENSOR}
)


class Channel(enum.StrEnum):
    CENTRAL = "central"  # hjälpmedelscentral, from own stock
    SUPPLIER = "supplier"
    PHARMACY = "pharmacy"


class SystemKind(enum.StrEnum):
    PUMP = "pump"
    CGM = "cgm"


article_systems = sa.Table(
    "article_systems",
    db.Model.metadata,
    sa.Column(
        "article_id", sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("system_id", sa.ForeignKey("systems.id"), primary_key=True, index=True),
)


class System(db.Model):
    """A pump or CGM system with its compatible consumables."""

    __tablename__ = "systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))

    articles: Mapped[list[Article]] = relationship(
        secondary=article_systems, back_populates="systems"
    )

    def __repr__(self) -> str:
        return f"<System {self.name}>"


class Article(db.Model):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_no: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20), index=True)
    gtin: Mapped[str | None] = mapped_column(sa.String(14), index=True)
    iso9999: Mapped[str | None] = mapped_column(sa.String(20))
    supplier: Mapped[str] = mapped_column(sa.String(120))
    pack_size: Mapped[int]
    pack_price_sek: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 4))
    procured: Mapped[bool]
    first_choice_rank: Mapped[int | None]
    benefit: Mapped[bool]
    channel: Mapped[str] = mapped_column(sa.String(10))
    serial_tracked: Mapped[bool]
    units_per_day: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 4))
    amortisation_years: Mapped[int | None]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    systems: Mapped[list[System]] = relationship(
        secondary=article_systems, back_populates="articles", order_by="System.name"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "category in ('pump','cgm_reader','cgm_transmitter','cgm_sensor',"
            "'infusion_set','reservoir','pod','battery','accessory')",
            name="category_known",
        ),
        sa.CheckConstraint(
            "channel in ('central','supplier','pharmacy')", name="channel_known"
        ),
        sa.CheckConstraint("pack_size > 0", name="pack_size_positive"),
        sa.CheckConstraint("pack_price_sek >= 0", name="price_not_negative"),
    )

    @property
    def is_device(self) -> bool:
        """Durable, lent devices: pumps and CGM readers, amortised over years."""
        return self.category in DEVICE_CATEGORIES

    def in_contract_on(self, day: date) -> bool:
        """Inside its contract period; else phased out (utgått) or not yet valid."""
        return self.valid_from <= day and (
            self.valid_to is None or day <= self.valid_to
        )

    def is_phased_out_on(self, day: date) -> bool:
        return self.valid_to is not None and self.valid_to < day

    @property
    def system_names(self) -> str:
        return "|".join(system.name for system in self.systems)

    def __repr__(self) -> str:
        return f"<Article {self.article_no}>"
