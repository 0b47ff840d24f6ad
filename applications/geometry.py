"""Routes of outside-line works: GeoJSON LineStrings in WGS84, compared in metres.

Distances use a local equirectangular projection centred on the city (Zhongshan spans about
60 km, where its error is far below a trench's width), computed with shapely.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry import LineString, Point

from core.errors import ValidationError

EARTH_RADIUS_M = 6_371_008.8
# The projection's centre: central Zhongshan.
ORIGIN_LON, ORIGIN_LAT = 113.39, 22.52
_COS_LAT = math.cos(math.radians(ORIGIN_LAT))
MAX_POINTS = 500


def route_clean(value: Any, *, field: str = "route") -> dict | None:
    """A valid GeoJSON LineString (as a plain dict) or None; otherwise a field error."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict) or value.get("type") != "LineString":
        raise ValidationError({field: _("Give a GeoJSON LineString.")})
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or not 2 <= len(coordinates) <= MAX_POINTS:
        raise ValidationError({field: _("A route has between 2 and %d points.") % MAX_POINTS})
    min_lon, min_lat, max_lon, max_lat = settings.JOINT_WORKS_BBOX
    points = []
    for point in coordinates:
        if (
            not isinstance(point, list | tuple)
            or len(point) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in point)
        ):
            raise ValidationError({field: _("Each point is [longitude, latitude].")})
        try:
            lon, lat = float(point[0]), float(point[1])
        except OverflowError:
            lon = lat = math.inf
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError({field: _("Coordinates are out of range (WGS84 degrees).")})
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            raise ValidationError(
                {field: _("The route lies outside Zhongshan (longitude first, then latitude).")}
            )
        points.append([round(lon, 7), round(lat, 7)])
    if len({tuple(p) for p in points}) < 2:
        raise ValidationError({field: _("A route needs two different points.")})
    return {"type": "LineString", "coordinates": points}


def point_clean(text: str, *, field: str = "near") -> Point:
    """`<lon>,<lat>` as a point in metres, or a field error."""
    try:
        lon_text, lat_text = text.split(",")
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        raise ValidationError({field: _("Give the point as <longitude>,<latitude>.")}) from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({field: _("Coordinates are out of range (WGS84 degrees).")})
    return Point(_project(lon, lat))


def _project(lon: float, lat: float) -> tuple[float, float]:
    x = math.radians(lon - ORIGIN_LON) * _COS_LAT * EARTH_RADIUS_M
    y = math.radians(lat - ORIGIN_LAT) * EARTH_RADIUS_M
    return x, y


def route_metres(route: dict | None) -> LineString | None:
    """The route as a line in metres (None when there is no route)."""
    if not route:
        return None
    return LineString([_project(p[0], p[1]) for p in route["coordinates"]])


def distance_metres(a: Any, b: Any) -> float:
    return float(a.distance(b))


def route_length_metres(route: dict | None) -> float:
    line = route_metres(route)
    return float(line.length) if line is not None else 0.0
