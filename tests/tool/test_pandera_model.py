"""The pandera model derived from each Table Schema, as a consumer would use it."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from pakafg import build, load_package_spec, to_pandera

from conftest import REPO, published_frame
from derived_package import make_derived_package

SPEC = load_package_spec(REPO)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A fixture package with a row in every table, derived ones included."""
    return build(make_derived_package(tmp_path_factory.mktemp("pandera") / "pkg")).path


@pytest.mark.parametrize("table", list(SPEC.tables))
def test_every_published_table_passes_its_full_pandera_model(release, table):
    to_pandera(SPEC.tables[table]).validate(published_frame(SPEC, release, table), lazy=True)


def test_pandera_model_rejects_column_and_cross_field_violations(release):
    df = published_frame(SPEC, release, "events")
    df.loc[0, "event_type"] = "PARTY"  # not in the enum
    dated = df.index[df["date_start"].notna()][0]
    df.loc[dated, "date_end"] = df.loc[dated, "date_start"] - pd.Timedelta(days=400)  # ends before it starts
    with pytest.raises(pandera.errors.SchemaErrors) as exc:
        to_pandera(SPEC.tables["events"]).validate(df, lazy=True)
    failed = set(exc.value.failure_cases["check"].astype(str))
    assert any("isin" in c for c in failed)
    assert any(c.startswith("date-order") for c in failed)
