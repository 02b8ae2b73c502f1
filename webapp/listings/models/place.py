"""Place (場所・拠点) and District (地区・小学校区): where activities happen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geoalchemy2 import Geometry
from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.orm import Base, TimestampMixin

if TYPE_CHECKING:
    from webapp.listings.models.activity import Activity


class District(Base):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(30), default="school")
    source: Mapped[str] = mapped_column(String(50), default="manual")
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True)

    places: Mapped[list[Place]] = relationship(back_populates="district")


class Place(TimestampMixin, Base):
    __tablename__ = "place"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        # The plain lat/lon index serves the bbox prefilter where a spatial index is not usable.
        Index("ix_place_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(50), default="manual")
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    # lat/lon are kept beside the geometry: cheap to read for lists and for the planar distance formula.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    point: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=True)
    geocode_level: Mapped[str] = mapped_column(String(20), default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"))
    accessibility: Mapped[list[str]] = mapped_column(default=list)

    district: Mapped[District | None] = relationship(back_populates="places")
    activities: Mapped[list[Activity]] = relationship(back_populates="place")
