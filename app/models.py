"""SQLAlchemy 2.0 models of the whole domain.

Geometry is kept twice: in WGS84 (EPSG:4326, what the API speaks) and in the city's metric CRS
(`*_m` columns, SRID taken from the `cities` row). Database triggers (migrations 0001 and 0006) fill
the metric columns from the WGS84 ones on every update of the geometry and on every insert that leaves
them empty, so no writer can forget them; the citizen report statement (`submit_report`) stores
`location_m` itself, and the reports' insert trigger does not fire for it. Distances, areas and clustering
always use the metric columns and their GiST indexes.
"""
from datetime import datetime

from flask_login import UserMixin
from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric,
    String, Text, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

CATEGORIES = ("graffiti", "sticker", "scratching", "other")
STATUSES = ("new", "verified", "scheduled", "removed", "closed", "rejected", "duplicate", "notify_owner")
OPEN_STATUSES = ("new", "verified", "scheduled", "notify_owner")
OPEN_SQL = ", ".join(f"'{s}'" for s in OPEN_STATUSES)  # the open statuses as an SQL list, for IN (...)
OWNER_TYPES = ("municipal", "public", "private")
ROLES = ("staff", "police", "admin", "prevention")  # prevention: the coordinator, reads aggregates
REMOVAL_METHODS = ("paint_over", "pressure_washing", "chemical", "film_removal")
SOURCES = ("web", "api", "open311", "import", "demo")
MEASURE_KINDS = ("coating", "legal_wall", "lighting", "video", "fast_removal", "greening", "mural", "school_project",
                 "police_presence", "other")
MEASURE_STATUSES = ("planned", "active", "finished", "stopped")
PUBLIC_ID_SQL = "substr(md5(gen_random_uuid()::text), 1, 16)"  # 16 hex digits from a strong random source


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _now():
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class City(db.Model):
    """The configured city: boundary, metric CRS, map view. Synced from configuration."""

    __tablename__ = "cities"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    srid: Mapped[int] = mapped_column(Integer)
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    boundary_m = mapped_column(Geometry("MULTIPOLYGON", srid=-1, spatial_index=True))
    center_lat: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)
    zoom: Mapped[int] = mapped_column(Integer, default=13)
    attribution: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = _now()
    # one deployment, one city: a unique index on a constant admits one row (migration 0008)
    __table_args__ = (Index("uq_cities_one_city", text("(true)"), unique=True),)


class District(db.Model):
    """A district (Stadtteil) of the city, for filters and statistics."""

    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    geom_m = mapped_column(Geometry("MULTIPOLYGON", srid=-1, spatial_index=True))
    __table_args__ = (UniqueConstraint("city_id", "name", name="uq_districts_city_name"),)


class Building(db.Model):
    """A building footprint with its address, owner type and responsible department."""

    __tablename__ = "buildings"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    osm_id: Mapped[str | None] = mapped_column(String(24), unique=True)  # w123 or r123 (`flask import-osm`)
    name: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    owner_type: Mapped[str] = mapped_column(String(16), default="private")
    department: Mapped[str | None] = mapped_column(String(200))
    usage: Mapped[str | None] = mapped_column(String(64))
    # The owner of a private building, for the city's notification letter (staff enter it on the job page).
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_address: Mapped[str | None] = mapped_column(Text)
    owner_email: Mapped[str | None] = mapped_column(String(254))
    owner_phone: Mapped[str | None] = mapped_column(String(50))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    footprint = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    footprint_m = mapped_column(Geometry("MULTIPOLYGON", srid=-1, spatial_index=True))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    district = relationship("District")
    __table_args__ = (CheckConstraint(_in("owner_type", OWNER_TYPES), name="owner_type"),)


class User(UserMixin, db.Model):
    """A staff, police or admin account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = _now()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    @property
    def is_active(self):  # flask-login
        return self.active


class UserSession(db.Model):
    """A login: the session cookie names it by a random token, stored here only as its SHA-256. Deleting the row
    ends the session (logout, password or role change, idle or absolute timeout)."""

    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _now()
    last_seen_at: Mapped[datetime] = _now()


class Report(db.Model):
    """A citizen's report of graffiti or damage at a point, possibly linked to a building."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # What the public sees as the report's number (public map, Open311 service_request_id): random, so it
    # tells nothing about other reports; filled by the database on every insert (migration 0010).
    public_id: Mapped[str] = mapped_column(String(16), unique=True, index=True, server_default=text(PUBLIC_ID_SQL))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    offensive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    surface: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    source: Mapped[str] = mapped_column(String(16), default="web", server_default="web")
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    media_url: Mapped[str | None] = mapped_column(String(1000))  # Open311 clients' own photo link
    # The citizen's text is public (Open311) only after staff released it: when and by whom.
    description_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    description_published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), index=True)
    # Personal data of the reporter: optional, never in public answers, access by police is logged.
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(50))
    reporter_locale: Mapped[str | None] = mapped_column(String(8))  # language of status e-mails
    # no WGS84 index: look-ups go through location_m (one GiST index less to maintain on every report)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    location_m = mapped_column(Geometry("POINT", srid=-1, spatial_index=True))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    retagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The staff member the job is assigned to ("my jobs"); no one when empty.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Staff's estimate for planning a crew's day (work time from area and method); set at triage.
    est_area_m2: Mapped[float | None] = mapped_column(Numeric(8, 2))
    est_method: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    building = relationship("Building")
    district = relationship("District")
    duplicate_of = relationship("Report", remote_side=[id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    photos = relationship("Photo", back_populates="report", order_by="Photo.id")
    events = relationship("StatusEvent", back_populates="report", order_by="StatusEvent.created_at")
    client_comments = relationship("ReportComment", back_populates="report", order_by="ReportComment.created_at")
    __table_args__ = (
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        Index("ix_reports_status_created", "status", "created_at"),
        Index("ix_reports_created_at", "created_at"),
        Index("ix_reports_open_building", "building_id", "created_at",
              postgresql_where=text("status IN ('new', 'verified', 'scheduled', 'notify_owner')")),
        # open reports near a point (duplicates, "is it one of these?"): stays small however many closed
        # reports and duplicates pile up at a much-sprayed wall
        Index("ix_reports_open_location_m", "location_m", postgresql_using="gist",
              postgresql_where=text("status IN ('new', 'verified', 'scheduled', 'notify_owner')")),
        Index("ix_reports_assignee_id", "assignee_id", postgresql_where=text("assignee_id IS NOT NULL")),
    )


class Photo(db.Model):
    """A stored, metadata-free photo of a report or of a removal (after-photo)."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    removal_id: Mapped[int | None] = mapped_column(ForeignKey("removals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="report")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    thumb_filename: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now()
    report = relationship("Report", back_populates="photos")


class StatusEvent(db.Model):
    """Audit trail: who changed a report's status, when, from what to what, and why."""

    __tablename__ = "status_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)  # internal: staff only
    # For the citizen (status page, e-mail, Open311): a canned reply's code (labels.PUBLIC_REPLY) and/or free text.
    public_reply: Mapped[str | None] = mapped_column(String(32))
    public_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    report = relationship("Report", back_populates="events")
    user = relationship("User")


class ReportComment(db.Model):
    """A comment an Open311 client posted on a report (servicerequestupdates): for staff, never published."""

    __tablename__ = "report_comments"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    client_update_id: Mapped[str | None] = mapped_column(String(100))  # the client's own id: a retry is no copy
    client_status: Mapped[str | None] = mapped_column(String(40))      # the status the client thinks it has
    description: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1000))       # stored as text, never fetched
    client_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()
    report = relationship("Report", back_populates="client_comments")
    api_key = relationship("ApiKey")
    __table_args__ = (UniqueConstraint("api_key_id", "client_update_id", name="uq_report_comments_client_update"),)


class Confirmation(db.Model):
    """A citizen's "I see it too" on an existing report."""

    __tablename__ = "confirmations"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _now()


class IdempotencyKey(db.Model):
    """The first answer given to a request carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100), primary_key=True)
    status_code: Mapped[int] = mapped_column(Integer)
    body = mapped_column(JSONB, nullable=False)
    request_hash: Mapped[str | None] = mapped_column(String(64))  # a reused key with another request is refused
    created_at: Mapped[datetime] = _now()


class Removal(db.Model):
    """What a crew did to remove a report's graffiti, and what it cost."""

    __tablename__ = "removals"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    removed_on: Mapped[datetime] = mapped_column(Date)
    crew: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(32))
    area_m2: Mapped[float] = mapped_column(Numeric(10, 2))
    cost_eur: Mapped[float] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    report = relationship("Report")
    __table_args__ = (
        CheckConstraint(_in("method", REMOVAL_METHODS), name="method"),
        CheckConstraint("area_m2 >= 0 AND cost_eur >= 0", name="non_negative"),
    )


class CrewPlan(db.Model):
    """A crew's day: an ordered tour from the depot over removal jobs and back."""

    __tablename__ = "crew_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[datetime] = mapped_column(Date)
    crew: Mapped[str] = mapped_column(String(100))
    depot_lat: Mapped[float] = mapped_column(Float)
    depot_lon: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    duration_min: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    stops = relationship("CrewPlanStop", order_by="CrewPlanStop.seq", cascade="all, delete-orphan")


class CrewPlanStop(db.Model):
    """One stop (a report/job) of a crew plan, in visiting order."""

    __tablename__ = "crew_plan_stops"
    plan_id: Mapped[int] = mapped_column(ForeignKey("crew_plans.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    report = relationship("Report")


class Tag(db.Model):
    """A sprayer's tag (signature), by normalised name."""

    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()


class ReportTag(db.Model):
    """A tag attached to a report by a police officer."""

    __tablename__ = "report_tags"
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = _now()


class ContactAccess(db.Model):
    """Log of every time police looked at a reporter's contact data."""

    __tablename__ = "contact_access_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    accessed_at: Mapped[datetime] = _now()


class ApiKey(db.Model):
    """An Open311 client's API key, stored as a hash; revocable."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(db.Model):
    """Failed logins, for rate limiting across processes."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = _now()



class Measure(db.Model):
    """A prevention measure (coating, legal wall, lighting, ...) at buildings and/or an area, for its evaluation."""

    __tablename__ = "measures"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The treatment area: the drawn area and the footprints of the measure's buildings (WGS84).
    area = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    # Where the comparison is made; empty: the rest of the city outside the area and its buffer ring.
    control_area = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    buffer_m: Mapped[int] = mapped_column(Integer, default=200, server_default="200")
    start_on: Mapped[datetime] = mapped_column(Date)
    end_on: Mapped[datetime | None] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")  # before and after, each
    gap_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # implementation gap
    cost_eur: Mapped[float] = mapped_column(Numeric(12, 2), default=0, server_default="0")
    office: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    buildings = relationship("Building", secondary="measure_buildings", order_by="Building.id")
    events = relationship("MeasureEvent", order_by="MeasureEvent.id", cascade="all, delete-orphan")
    __table_args__ = (
        CheckConstraint(_in("kind", MEASURE_KINDS), name="kind"),
        CheckConstraint(_in("status", MEASURE_STATUSES), name="status"),
        CheckConstraint("buffer_m BETWEEN 0 AND 2000 AND months BETWEEN 1 AND 60 AND gap_months BETWEEN 0 AND 24 "
                        "AND cost_eur >= 0 AND (end_on IS NULL OR end_on >= start_on)", name="ranges"),
    )


class MeasureBuilding(db.Model):
    """A building a measure was applied to."""

    __tablename__ = "measure_buildings"
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class MeasureEvent(db.Model):
    """The history of a measure: who registered or changed it, when, and what changed (old and new values)."""

    __tablename__ = "measure_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # created, updated
    changes = mapped_column(JSONB, nullable=False, server_default="{}")
    created_at: Mapped[datetime] = _now()
    user = relationship("User")
