"""Tables filled from OpenStreetMap (`flask import-osm`): streets and their routable edges, named places,
and the record of each import (which also switches the ODbL attribution on).

Geometry is kept in WGS84 and, filled by database triggers, in the city's metric CRS (`*_m`), as in
app/models.py. Buildings from OpenStreetMap are ordinary `buildings` rows with an `osm_id`.
"""
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, SmallInteger, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Street(db.Model):
    """One OpenStreetMap way with a `highway` tag: its class, name, one-way rule and speed."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    osm_id: Mapped[int] = mapped_column(BigInteger, unique=True)  # the way's id
    name: Mapped[str | None] = mapped_column(String(300))
    ref: Mapped[str | None] = mapped_column(String(100))
    highway: Mapped[str] = mapped_column(String(64))  # the class: residential, service, track ...
    oneway: Mapped[int] = mapped_column(SmallInteger, default=0)  # 1: along the way only, -1: against, 0: both
    speed_kmh: Mapped[float] = mapped_column(Float)
    routable: Mapped[bool] = mapped_column(Boolean)  # part of the crews' driving network
    geom = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False)
    geom_m = mapped_column(Geometry("LINESTRING", srid=-1, spatial_index=True))


class StreetEdge(db.Model):
    """A piece of a routable street between two junctions (or ends): an edge of the street network."""

    __tablename__ = "street_edges"
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id", ondelete="CASCADE"), index=True)
    source: Mapped[int] = mapped_column(BigInteger)  # OSM node ids at the ends, in the way's direction
    target: Mapped[int] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=False), nullable=False)
    geom_m = mapped_column(Geometry("LINESTRING", srid=-1, spatial_index=False))


class Place(db.Model):
    """A named place from OpenStreetMap (`place=*`: suburb, village, square ...) for the address search."""

    __tablename__ = "places"
    id: Mapped[int] = mapped_column(primary_key=True)
    osm_id: Mapped[str] = mapped_column(String(24), unique=True)  # n123, w123 or r123
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(64))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    geom_m = mapped_column(Geometry("POINT", srid=-1, spatial_index=True))


class OsmImport(db.Model):
    """One run of `flask import-osm`: the file, when, and what it counted."""

    __tablename__ = "osm_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), server_default=func.now())
    counts = mapped_column(JSONB, nullable=False)
