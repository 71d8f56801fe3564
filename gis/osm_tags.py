"""What OpenStreetMap tags mean here: owner types of buildings, addresses, and the crews' street network.

The owner-type rules are configurable (OSM_OWNER_RULES, see docs/operations.md#openstreetmap): ordered
`KEY=VALUE|VALUE:OWNER` rules, the first that matches a building's tags wins, `private` when none does.
"""
import re

OWNER_TYPES = ("municipal", "public", "private")
# Schools, kindergartens, town halls, libraries and fire stations are the city's in Germany (Schulträger,
# Feuerwehr); another country may want them `public`: the rules are a setting.
DEFAULT_OWNER_RULES = (
    "ownership=municipal:municipal, ownership=public|national|state|county|federal:public, "
    "operator:type=government|public:public, "
    "building=townhall|school|kindergarten|sports_hall|fire_station:municipal, "
    "amenity=townhall|school|kindergarten|library|community_centre|fire_station|toilets:municipal, "
    "building=government|public|civic|university|college|hospital|train_station:public, "
    "amenity=police|courthouse|university|college|hospital:public"
)
# Countries where the house number comes before the street ("221 Baker Street"); elsewhere after it.
NUMBER_FIRST = {"US", "CA", "GB", "IE", "AU", "NZ", "FR"}

# Highway classes a crew's van drives on, with the speed (km/h) assumed when the way has no maxspeed.
ROUTABLE_SPEEDS = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50, "primary": 50, "primary_link": 40,
    "secondary": 50, "secondary_link": 40, "tertiary": 40, "tertiary_link": 30, "unclassified": 30,
    "residential": 30, "road": 30, "living_street": 7, "service": 15, "track": 10,
}
WALKING_KMH = 5.0
MPH = 1.609344
_ZONE = re.compile(r"^[a-z]{2}:zone:?(\d+)$")
_SPEED_WORDS = {"walk": 7.0, "living_street": 7.0, "urban": 50.0, "rural": 100.0}


class RuleError(ValueError):
    """An owner-type rule that cannot be used."""


def parse_owner_rules(text: str) -> tuple[tuple[str, frozenset[str], str], ...]:
    """'building=school|kindergarten:municipal, ...' -> ((key, values, owner), ...); RuleError naming the bad one."""
    rules = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        condition, _, owner = part.rpartition(":")  # keys may hold colons (operator:type), the owner not
        key, _, values = condition.partition("=")
        values = frozenset(v.strip() for v in values.split("|") if v.strip())
        if owner.strip() not in OWNER_TYPES or not key.strip() or not values:
            raise RuleError(f"'{part}' is not KEY=VALUE|VALUE:{'|'.join(OWNER_TYPES)}")
        rules.append((key.strip(), values, owner.strip()))
    return tuple(rules)


def owner_type(tags: dict[str, str], rules) -> str:
    """The owner type of a building from its tags: the first matching rule, else private."""
    for key, values, owner in rules:
        if tags.get(key) in values:
            return owner
    return "private"


def address(tags: dict[str, str], number_first: bool = False) -> str | None:
    """'Haydnstraße 4' (or '1200 7th Street' where the number comes first); None without street and number."""
    street = (tags.get("addr:street") or tags.get("addr:place") or "").strip()
    number = (tags.get("addr:housenumber") or "").strip()
    if not (street and number):
        return None
    return f"{number} {street}" if number_first else f"{street} {number}"


def is_routable(tags: dict[str, str]) -> bool:
    """Whether a crew's van may drive the way: a road class, not closed to vehicles."""
    if tags.get("highway") not in ROUTABLE_SPEEDS or tags.get("area") == "yes":
        return False
    return not any(tags.get(k) == "no" for k in ("access", "vehicle", "motor_vehicle", "motorcar"))


def oneway(tags: dict[str, str]) -> int:
    """1: only along the way's direction, -1: only against it, 0: both ways."""
    value = tags.get("oneway", "").strip().lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return 1
    return 0


def speed_kmh(tags: dict[str, str]) -> float:
    """The way's maxspeed (km/h; mph converted; DE:zone30 and the like understood), else its class's speed."""
    default = float(ROUTABLE_SPEEDS.get(tags.get("highway", ""), WALKING_KMH))
    raw = tags.get("maxspeed", "").strip().lower()
    if not raw:
        return default
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?", raw)
    if m:
        value = float(m.group(1)) * (MPH if m.group(2) == "mph" else 1.0)
        return value if value > 0 else default
    zone = _ZONE.match(raw)
    if zone:
        return float(zone.group(1))
    word = raw.split(":")[-1]
    return _SPEED_WORDS.get(word, default)
