"""The declaration as landing reads it, checked against the copies that cannot read it themselves.

dbt gives unit tests no graph, so each unit test of a base model passes the declaration of its
table to ``checked_source_records`` through ``overrides: macros: source_declaration``. Those copies
must say exactly what the sources YAML says, or the unit tests would test rules nobody declared.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingestion.declaration import DeclarationError, load_systems
from ingestion.settings import PROJECT_DIR


def test_unit_test_declarations_match_the_sources_yaml() -> None:
    tables = {table.name: table for table in load_systems()["sales"].tables}
    unit_tests = yaml.safe_load((PROJECT_DIR / "models/staging/sales/base/_base_sales__models.yml").read_text())["unit_tests"]
    assert {test["model"].removesuffix("_by_load") for test in unit_tests} == {f"base_sales__{name}" for name in tables}
    for test in unit_tests:
        table = tables[test["model"].removeprefix("base_sales__").removesuffix("_by_load")]
        given = test["overrides"]["macros"]["source_declaration"]
        assert given["key"] == list(table.key), test["name"]
        assert [(field["column"], field["field"], field["type"], field.get("format"), field["required"]) for field in given["fields"]] == [
            (f.column, f.name, f.type, f.format, f.required or f.column in table.key) for f in table.fields
        ], test["name"]


def write_source(project: Path, body: str) -> None:
    folder = project / "models/staging/shop"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_shop__sources.yml").write_text(body)


LINEAGE = """
          - {name: _source_file, data_type: string}
          - {name: _source_position, data_type: bigint}
          - {name: _raw_record, data_type: string}
          - {name: _read_problem, data_type: string}
          - {name: _loaded_at, data_type: timestamp}
          - {name: _load_id, data_type: string}
"""


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{name: items, config: {meta: {landing: {files: ['items\\\\.csv'], format: xml}}}, columns: []}", "format 'xml'"),
        (
            "{name: items, config: {meta: {landing: {files: ['items\\\\.csv'], format: csv}}}, columns: [{name: id, config: {meta: {field: Id}}}]}",
            "must end with the lineage columns",
        ),
    ],
    ids=["unknown-format", "no-lineage"],
)
def test_an_unusable_declaration_is_refused_naming_the_file_and_table(tmp_path: Path, table: str, message: str) -> None:
    write_source(tmp_path, f"version: 2\nsources:\n  - name: shop\n    tables:\n      - {table}\n")
    with pytest.raises(DeclarationError) as error:
        load_systems(tmp_path)
    assert "_shop__sources.yml: table 'shop.items'" in str(error.value) and message in str(error.value)


@pytest.mark.parametrize(
    ("landing", "column", "message"),
    [
        (
            "format: csv, key: [nope]",
            "{name: sold_on, data_type: string, config: {meta: {field: Sold}}}",
            r"key names columns it does not declare: \['nope'\]",
        ),
        (
            "format: csv",
            "{name: sold_on, data_type: string, config: {meta: {field: Sold, type: date}}}",
            "column 'sold_on' is a date and needs meta.format",
        ),
        ("format: csv", "{name: sold_on, data_type: date, config: {meta: {field: Sold}}}", "column 'sold_on' must be data_type string in bronze"),
    ],
    ids=["undeclared-key", "date-without-format", "typed-bronze-column"],
)
def test_a_field_that_cannot_be_landed_is_refused(tmp_path: Path, landing: str, column: str, message: str) -> None:
    write_source(
        tmp_path,
        "version: 2\nsources:\n  - name: shop\n    tables:\n      - name: items\n"
        f"        config: {{meta: {{landing: {{files: ['items\\\\.csv'], {landing}}}}}}}\n"
        f"        columns:\n          - {column}\n" + LINEAGE,
    )
    with pytest.raises(DeclarationError, match=message):
        load_systems(tmp_path)
