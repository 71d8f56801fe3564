"""GET /api/v1/city: the configured city for map clients."""
from flask import jsonify

from app.api import bp
from app.city import current_city
from app.services.core.attribution import map_attribution


@bp.route("/city")
def city():
    """The configured city: name, map centre, zoom and boundary (GeoJSON), for map clients."""
    c = current_city()
    return jsonify({
        "name": c.name, "srid": c.srid, "center": {"lat": c.center[0], "lon": c.center[1]},
        "zoom": c.zoom, "attribution": map_attribution(), "boundary": c.boundary.__geo_interface__,
    })
