"""Importers: the building registry (GeoJSON/GeoPackage) and historical reports (CSV/GeoJSON).

Both are idempotent by an external id (a re-import updates instead of duplicating), report progress through a
callback and collect every rejected feature/row with its number and reason.
"""
from app.services.staff.importers.buildings import BuildingMapping, import_buildings
from app.services.staff.importers.files import ImportError_, ImportResult, parse_value_map, read_features, write_rejects
from app.services.staff.importers.reports import ReportMapping, import_reports

__all__ = ["BuildingMapping", "ImportError_", "ImportResult", "ReportMapping", "import_buildings", "import_reports",
           "parse_value_map", "read_features", "write_rejects"]
