"""A build leaves out the source systems that never had a delivery instead of failing on their
missing bronze tables: in a copy of the project with one more declared system (``crm``, a table
and a staging model), a lake where only sales has landed selects only sales, and ``dbt ls`` of that
selection holds no node of the other system. Nothing here starts Spark (landing without
registration, ``dbt ls``)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from pipeline_tests.dbt_runner import PROJECT_DIR, Pipeline

PROJECT_PARTS = ("models", "macros", "seeds", "tests", "analyses", "dbt_project.yml", "profiles.yml")

CRM_SOURCES = """\
version: 2

sources:
  - name: crm
    description: A second source system, declared only in this test's copy of the project.
    schema: bronze
    config:
      loaded_at_field: _loaded_at
    tables:
      - name: contacts
        description: One row per record of the delivered contacts file.
        config:
          meta:
            landing:
              files: ['contacts\\.csv']
              format: csv
              key: [contact_id]
        columns:
          - name: contact_id
            data_type: string
            description: Contact ID.
            config:
              meta: {field: Contact ID, required: true}
          - name: _source_file
            data_type: string
            description: File.
          - name: _source_position
            data_type: bigint
            description: Position.
          - name: _raw_record
            data_type: string
            description: Raw record.
          - name: _read_problem
            data_type: string
            description: Read problem.
          - name: _loaded_at
            data_type: timestamp
            description: Landing time.
          - name: _load_id
            data_type: string
            description: Load folder.
"""

CRM_STAGING = """\
-- One row per contact of the crm system.
with

contacts as (

    select contact_id from {{ source('crm', 'contacts') }}

)

select * from contacts
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with the crm system declared beside sales."""
    copy = tmp_path_factory.mktemp("two_systems") / "project"
    copy.mkdir()
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            shutil.copy(source, copy / part)
    crm = copy / "models/staging/crm"
    crm.mkdir(parents=True)
    (crm / "_crm__sources.yml").write_text(CRM_SOURCES, encoding="utf-8")
    (crm / "stg_crm__contacts.sql").write_text(CRM_STAGING, encoding="utf-8")
    return copy


def listed(pipeline: Pipeline, *select: str) -> list[str]:
    """The unique IDs of the nodes ``dbt ls`` lists (every node, or those of ``--select``)."""
    args = ["ls", "--output", "json", "--output-keys", "unique_id"]
    result = pipeline.dbt(*args, *(("--select", *select) if select else ()))
    return [json.loads(line)["unique_id"] for line in result.stdout.splitlines() if line.startswith("{")]


def test_a_lake_with_only_sales_selects_only_sales(project: Path, tmp_path: Path) -> None:
    sales_only = Pipeline(lake=tmp_path / "lake", work=tmp_path / "work", project_dir=project)
    delivery = tmp_path / "delivery"
    sales_only.samples("generate", "--system", "sales", "--out", delivery, "--scale", "0.01")
    sales_only.ingestion("load", "--source", delivery, "--no-register")

    selector = sales_only.selector()
    assert "sales" in selector and "crm" not in selector, selector

    everything = listed(sales_only)
    assert "model.ecommerce_sales.stg_crm__contacts" in everything  # the copy does declare crm
    selected = listed(sales_only, *selector.split())
    assert "model.ecommerce_sales.fct_order_lines" in selected and "source.ecommerce_sales.sales.orders" in selected
    assert [node for node in selected if "crm" in node] == []


def test_the_copy_s_declaration_is_what_ingestion_reads(project: Path, tmp_path: Path) -> None:
    # the other way round: with only crm landed, crm is selected and sales is not (so the test above
    # is not passing because ingestion ignores the copy's declaration)
    crm_only = Pipeline(lake=tmp_path / "lake", work=tmp_path / "work", project_dir=project)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    (delivery / "contacts.csv").write_text(textwrap.dedent("Contact ID\nC-1\nC-2\n"), encoding="utf-8")
    crm_only.ingestion("load", "--source", delivery, "--no-register")
    selector = crm_only.selector()
    assert "crm" in selector and "sales" not in selector, selector
    assert "model.ecommerce_sales.stg_crm__contacts" in listed(crm_only, *selector.split())
