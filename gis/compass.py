"""Compass points of bearings, for "25 m north-east" (pure: no flask, no app)."""
POINTS = ("n", "ne", "e", "se", "s", "sw", "w", "nw")


def compass_point(bearing_deg: float) -> str:
    """The nearest of the eight compass points of a bearing in degrees clockwise from north."""
    return POINTS[round((bearing_deg % 360) / 45) % 8]
