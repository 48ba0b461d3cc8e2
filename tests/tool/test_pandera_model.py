"""The pandera model derived from each Table Schema, as a consumer would use it."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from pakafg import build, load_package_spec, to_pandera
from pakafg.check.frame import PANDAS_DTYPES

from conftest import REPO

SPEC = load_package_spec(REPO)


def published_frame(release, table: str) -> pd.DataFrame:
    """A published CSV read with the dtypes the derived model expects."""
    spec = SPEC.tables[table]
    dtypes = {f["name"]: PANDAS_DTYPES[f.get("type", "string")] for f in spec.fields if f.get("type") != "date"}
    dates = [f["name"] for f in spec.fields if f.get("type") == "date"]
    df = pd.read_csv(release / "csv" / f"{table}.csv", dtype=dtypes, keep_default_na=False, na_values=[""])
    for name in dates:
        df[name] = pd.to_datetime(df[name]).astype(PANDAS_DTYPES["date"])
    return df


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build(REPO, out=tmp_path_factory.mktemp("build")).path


@pytest.mark.parametrize("table", list(SPEC.tables))
def test_every_published_table_passes_its_full_pandera_model(release, table):
    to_pandera(SPEC.tables[table]).validate(published_frame(release, table), lazy=True)


def test_pandera_model_rejects_column_and_cross_field_violations(release):
    df = published_frame(release, "events")
    df.loc[0, "event_type"] = "PARTY"  # not in the enum
    dated = df.index[df["date_start"].notna()][0]
    df.loc[dated, "date_end"] = df.loc[dated, "date_start"] - pd.Timedelta(days=400)  # ends before it starts
    with pytest.raises(pandera.errors.SchemaErrors) as exc:
        to_pandera(SPEC.tables["events"]).validate(df, lazy=True)
    failed = set(exc.value.failure_cases["check"].astype(str))
    assert any("isin" in c for c in failed)
    assert any(c.startswith("date-order") for c in failed)
