"""Tests of the sales sample generator: the files' shape from the declaration, reference data from
the seeds, dirt, determinism and scale.

The files are read back with json, pandas and openpyxl, and compared with the declaration
(``ingestion.declaration``) and the seeds read here, independently of the generator's code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ingestion.declaration import load_systems
from samples import generator
from samples.sales import PROJECT_DIR, SampleDataError, generate_sales_files

SCALE = 0.05  # 500 order lines, 40 customers, 75 product IDs

# The field names of each table in the file, in declared order: what the files must carry.
DECLARED = {table.name: tuple(field.name for field in table.fields) for table in load_systems(PROJECT_DIR)["sales"].tables}
SEEDS = PROJECT_DIR / "seeds"


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate_sales_files(tmp_path_factory.mktemp("xlsx"), scale=SCALE, seed=42)


@pytest.fixture(scope="module")
def orders(delivery: dict[str, Path]) -> list[dict]:
    with delivery["orders"].open(encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def products(delivery: dict[str, Path]) -> pd.DataFrame:
    return pd.read_csv(delivery["products"], dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def customers(delivery: dict[str, Path]) -> pd.DataFrame:
    return pd.read_excel(delivery["customers"])


def test_writes_the_three_files_with_their_names(delivery: dict[str, Path]) -> None:
    assert {table: path.name for table, path in delivery.items()} == {
        "orders": "Orders.json",
        "products": "Products.csv",
        "customers": "Customer.xlsx",
    }
    assert sorted(path.name for path in delivery["orders"].parent.iterdir()) == ["Customer.xlsx", "Orders.json", "Products.csv"]


def test_orders_is_one_pretty_printed_array_with_the_declared_keys(delivery: dict[str, Path], orders: list[dict]) -> None:
    assert isinstance(orders, list) and len(orders) == 500
    assert all(tuple(line) == DECLARED["orders"] for line in orders)
    text = delivery["orders"].read_text(encoding="utf-8")
    assert text.startswith('[\n  {\n    "Row ID": 1,\n')
    assert text.count("\n") > 10 * len(orders)


def test_row_ids_are_unique_and_numbered_from_one(orders: list[dict]) -> None:
    assert [line["Row ID"] for line in orders] == list(range(1, len(orders) + 1))


def test_dates_are_unpadded_day_month_year_and_ship_after_order(orders: list[dict]) -> None:
    for line in orders:
        for key in ("Order Date", "Ship Date"):
            assert re.fullmatch(r"[1-9]\d?/[1-9]\d?/\d{4}", line[key]), line[key]
        ordered = dt.datetime.strptime(line["Order Date"], "%d/%m/%Y").date()
        shipped = dt.datetime.strptime(line["Ship Date"], "%d/%m/%Y").date()
        assert dt.date(2021, 1, 1) <= ordered <= dt.date(2024, 12, 31)
        assert 0 <= (shipped - ordered).days <= 7
        if line["Ship Mode"] == "Same Day":
            assert shipped == ordered


def orders_by_id(orders: list[dict]) -> dict[str, list[dict]]:
    by_order: dict[str, list[dict]] = {}
    for line in orders:
        by_order.setdefault(line["Order ID"], []).append(line)
    return by_order


def test_lines_of_an_order_share_its_header_fields(orders: list[dict]) -> None:
    by_order = orders_by_id(orders)
    for order_id, lines in by_order.items():
        assert re.fullmatch(r"CA-\d{4}-\d{6}", order_id)
        assert order_id[3:7] == lines[0]["Order Date"][-4:]
        assert 1 <= len(lines) <= 5
        shared = {(line["Order Date"], line["Ship Date"], line["Ship Mode"], line["Customer ID"]) for line in lines}
        assert len(shared) == 1
    assert len(by_order) < len(orders)


def test_an_order_id_is_never_reused_by_another_order(orders: list[dict]) -> None:
    # the lines of one order are written together, so an ID met again after other orders is reused
    for lines in orders_by_id(orders).values():
        row_ids = [line["Row ID"] for line in lines]
        assert row_ids == list(range(row_ids[0], row_ids[0] + len(row_ids)))


def test_order_numbers_get_longer_when_a_delivery_has_more_orders_than_they_can_number(tmp_path: Path, monkeypatch) -> None:
    # with 2-digit numbers (90 per year) the 500 lines of SCALE could reuse them: the numbers get a digit more
    monkeypatch.setattr("samples.sales.ORDER_NUMBER_DIGITS", 2)
    paths = generate_sales_files(tmp_path, scale=SCALE, seed=42)
    orders = json.loads(paths["orders"].read_text(encoding="utf-8"))
    by_order = orders_by_id(orders)
    assert all(re.fullmatch(r"CA-\d{4}-\d{3}", order_id) for order_id in by_order)
    for lines in by_order.values():
        row_ids = [line["Row ID"] for line in lines]
        assert row_ids == list(range(row_ids[0], row_ids[0] + len(row_ids)))


def test_line_values_are_in_range(delivery: dict[str, Path], orders: list[dict]) -> None:
    assert all(1 <= line["Quantity"] <= 14 for line in orders)
    assert {line["Discount"] for line in orders} <= {0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}
    assert all(re.fullmatch(r"[A-Z]{3}-[A-Z]{2}-\d{8}", line["Product ID"]) for line in orders)
    assert 0.05 < sum(line["Profit"] < 0 for line in orders) / len(orders) < 0.4
    # The numbers as written: Price has at most 2 decimals, Profit at most 4.
    with delivery["orders"].open(encoding="utf-8") as handle:
        raw = json.load(handle, parse_float=str)
    assert all(re.fullmatch(r"-?\d+(\.\d{1,2})?", line["Price"]) for line in raw)
    assert all(re.fullmatch(r"-?\d+(\.\d{1,4})?", line["Profit"]) for line in raw)


def test_every_customer_of_an_order_is_in_the_customer_file(orders: list[dict], customers: pd.DataFrame) -> None:
    assert {line["Customer ID"] for line in orders} <= set(customers["Customer ID"])


def seeded_categories() -> dict[str, str]:
    return dict(pd.read_csv(SEEDS / "product_categories.csv", dtype=str).itertuples(index=False, name=None))


def seeded_sub_categories() -> dict[tuple[str, str], str]:
    rows = pd.read_csv(SEEDS / "product_sub_categories.csv", dtype=str)
    return {(row.category_code, row.sub_category_code): row.sub_category for row in rows.itertuples()}


def test_about_one_percent_of_lines_reference_an_absent_product(orders: list[dict], products: pd.DataFrame) -> None:
    known = set(products["Product ID"])
    absent = [line["Product ID"] for line in orders if line["Product ID"] not in known]
    assert 0.003 <= len(absent) / len(orders) <= 0.03
    valid_codes = {f"{category}-{sub}" for category, sub in seeded_sub_categories()}
    assert any(product_id[:6] not in valid_codes for product_id in absent)
    assert any(product_id[:6] in valid_codes for product_id in absent)


def test_products_csv_has_the_declared_header_and_quoted_names(delivery: dict[str, Path], products: pd.DataFrame) -> None:
    assert tuple(products.columns) == DECLARED["products"]
    names = products["Product Name"]
    assert names.str.contains(",").any()
    assert names.str.contains('"').any()
    assert '""' in delivery["products"].read_text(encoding="utf-8")  # the csv way of writing a quote
    assert products["Product ID"].duplicated().any()
    assert all(re.fullmatch(r"\d+\.\d{2}", price) for price in products["Price per product"])


def test_product_categories_are_the_seeds_names_of_the_id_codes(products: pd.DataFrame) -> None:
    categories, sub_categories = seeded_categories(), seeded_sub_categories()
    for product_id, category, sub_category in products[["Product ID", "Category", "Sub-Category"]].itertuples(index=False):
        category_code, sub_code, _ = product_id.split("-")
        assert categories[category_code] == category
        assert sub_categories[(category_code, sub_code)] == sub_category


def test_ship_modes_are_the_seeds_and_ship_within_their_days(orders: list[dict]) -> None:
    seeded = dict(pd.read_csv(SEEDS / "ship_modes.csv").set_index("ship_mode")["max_days_to_ship"])
    assert {line["Ship Mode"] for line in orders} == set(seeded)
    for line in orders:
        ordered = dt.datetime.strptime(line["Order Date"], "%d/%m/%Y").date()
        shipped = dt.datetime.strptime(line["Ship Date"], "%d/%m/%Y").date()
        assert (shipped - ordered).days <= seeded[line["Ship Mode"]]


def test_customer_sheet_has_the_declared_header(delivery: dict[str, Path], customers: pd.DataFrame) -> None:
    workbook = openpyxl.load_workbook(delivery["customers"], read_only=True)
    assert workbook.sheetnames == ["Customers"]
    workbook.close()
    assert tuple(customers.columns) == DECLARED["customers"]
    assert customers["Customer ID"].is_unique
    assert customers["Customer ID"].str.fullmatch(r"[A-Z]{2}-\d{5}").all()
    assert customers.groupby("State")["Region"].nunique().max() == 1
    assert (customers["Country"] == "United States").all()


def test_customer_file_holds_every_kind_of_dirt(customers: pd.DataFrame) -> None:
    names = customers["Customer Name"]
    present = names.dropna()
    assert names.isna().any()  # empty name
    assert present.str.contains(r"[A-Za-z]\d|\d[a-z]").any()  # junk digits
    assert present.str.contains(r"[@#$%&*!?]").any()  # symbols
    assert present.str.contains(r"^[ _]|[ _]$").any()  # padding
    assert present.map(lambda name: not name.isascii()).any()  # legitimate non-ASCII letters
    emails = customers["email"]
    assert (emails.str.count("@") != 1).any() or emails.str.contains(" ").any()
    phones = customers["phone"].tolist()
    assert "#ERROR!" in phones
    assert any(isinstance(phone, int) and phone < 0 for phone in phones)
    assert any(isinstance(phone, int) and phone > 0 for phone in phones)
    assert customers["address"].str.contains("\n").all()


def test_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(delivery: dict[str, Path], tmp_path: Path) -> None:
    again = generate_sales_files(tmp_path / "again", scale=SCALE, seed=42)
    other = generate_sales_files(tmp_path / "other", scale=SCALE, seed=7)
    for table, path in delivery.items():
        assert again[table].read_bytes() == path.read_bytes(), table
        assert other[table].read_bytes() != path.read_bytes(), table
    # The workbook's zip entries carry a fixed time, so equal bytes do not depend on when it ran.
    with zipfile.ZipFile(delivery["customers"]) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_csv_customer_file_has_a_bom_and_the_same_customers(customers: pd.DataFrame, tmp_path: Path) -> None:
    path = generate_sales_files(tmp_path, scale=SCALE, seed=42, customer_format="csv")["customers"]
    assert path.name == "Customer.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfCustomer ID,")
    from_csv = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert tuple(from_csv.columns) == DECLARED["customers"]
    assert from_csv["Customer ID"].tolist() == customers["Customer ID"].tolist()
    assert (from_csv["Customer Name"] == "").any()
    assert from_csv["address"].str.contains("\n").all()
    assert not (tmp_path / "Customer.xlsx").exists()


def test_sizes_grow_linearly_with_the_scale(delivery: dict[str, Path], orders: list[dict], tmp_path: Path) -> None:
    double = generate_sales_files(tmp_path, scale=2 * SCALE, seed=42)
    with double["orders"].open(encoding="utf-8") as handle:
        assert 1.9 <= len(json.load(handle)) / len(orders) <= 2.1
    customer_ratio = len(pd.read_excel(double["customers"])) / len(pd.read_excel(delivery["customers"]))
    assert 1.9 <= customer_ratio <= 2.1
    product_ratio = pd.read_csv(double["products"])["Product ID"].nunique() / pd.read_csv(delivery["products"])["Product ID"].nunique()
    assert 1.9 <= product_ratio <= 2.1


def test_the_command_line_writes_the_same_files(delivery: dict[str, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from samples.cli import main

    result = CliRunner().invoke(main, ["generate", "--system", "sales", "--out", str(tmp_path), "--scale", str(SCALE), "--seed", "42"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^generated orders\s+.*Orders\.json$", result.output, flags=re.MULTILINE)
    for path in delivery.values():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    assert generator("sales") is generate_sales_files
    unknown = CliRunner().invoke(main, ["generate", "--system", "retail", "--out", str(tmp_path)])
    assert unknown.exit_code == 2 and "'retail' is not 'sales'" in unknown.output


# --- the declaration and the seeds drive the generator -------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the generator reads: the sales declaration and the seeds."""
    copy = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "seeds", copy / "seeds")
    declaration = copy / "models/staging/sales/_sales__sources.yml"
    declaration.parent.mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "models/staging/sales/_sales__sources.yml", declaration)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_field_names_and_order_come_from_the_declaration(project: Path, tmp_path: Path) -> None:
    declaration = project / "models/staging/sales/_sales__sources.yml"
    edit(declaration, "meta: {field: email}", "meta: {field: E-mail, aliases: [email]}")
    paths = generate_sales_files(tmp_path / "out", scale=SCALE, seed=42, project_dir=project)
    header = next(openpyxl.load_workbook(paths["customers"], read_only=True).active.iter_rows(max_row=1, values_only=True))
    assert header[:4] == ("Customer ID", "Customer Name", "E-mail", "phone")


def test_a_declared_column_the_generator_has_no_values_for_is_refused(project: Path, tmp_path: Path) -> None:
    declaration = project / "models/staging/sales/_sales__sources.yml"
    edit(
        declaration,
        "          - name: region\n",
        "          - name: loyalty_tier\n            data_type: string\n            description: Tier.\n"
        "            config:\n              meta: {field: Loyalty Tier}\n          - name: region\n",
    )
    with pytest.raises(SampleDataError, match=r"sales.customers.*declared columns \['loyalty_tier'\]"):
        generate_sales_files(tmp_path / "out", scale=SCALE, seed=42, project_dir=project)
    assert not (tmp_path / "out").exists()


def test_a_file_name_the_declared_patterns_do_not_take_is_refused(project: Path, tmp_path: Path) -> None:
    edit(project / "models/staging/sales/_sales__sources.yml", r"files: ['products?\.csv']", r"files: ['catalogue\.csv']")
    with pytest.raises(SampleDataError, match=r"no declared file pattern takes 'Products.csv' as csv"):
        generate_sales_files(tmp_path / "out", scale=SCALE, seed=42, project_dir=project)


def test_reference_data_comes_from_the_seeds(project: Path, tmp_path: Path) -> None:
    edit(project / "seeds/product_categories.csv", "FUR,Furniture", "FUR,Home Furniture")
    paths = generate_sales_files(tmp_path / "out", scale=SCALE, seed=42, project_dir=project)
    products = pd.read_csv(paths["products"], dtype=str)
    assert set(products.loc[products["Product ID"].str.startswith("FUR-"), "Category"]) == {"Home Furniture"}


@pytest.mark.parametrize(
    ("seed_file", "old", "new", "message"),
    [
        (
            "product_sub_categories.csv",
            "TEC,PH,Phones",
            "TEC,PH,Phones\nTEC,WE,Wearables",
            r"sub-category codes \['WE'\] of seeds/product_sub_categories.csv have no entry",
        ),
        ("ship_modes.csv", "Same Day,1,0", "Drone,1,0", r"ship modes \['Drone'\].*SHIP_MODE_PROFILES has ship modes \['Same Day'\]"),
        ("ship_modes.csv", "Standard Class,4,7", "Standard Class,4,3", r"ships 'Standard Class' in 4 days at the earliest"),
    ],
)
def test_generator_knobs_that_disagree_with_the_seeds_are_refused(
    project: Path, tmp_path: Path, seed_file: str, old: str, new: str, message: str
) -> None:
    edit(project / "seeds" / seed_file, old, new)
    with pytest.raises(SampleDataError, match=message):
        generate_sales_files(tmp_path / "out", scale=SCALE, seed=42, project_dir=project)


def test_the_customer_sheet_holds_the_xml_openpyxl_writes(delivery: dict[str, Path], tmp_path: Path) -> None:
    # the generator streams the sheet's rows itself, 6 times faster than openpyxl; they must be openpyxl's
    from samples.sales import _write_xlsx

    generated = list(openpyxl.load_workbook(delivery["customers"], read_only=True).active.iter_rows(values_only=True))
    tricky = [
        ("A-1", "  _Zoë Bühler ", "a&b<c>@x.io", -6376, "1 Main St\nAustin, TX 73301", None, "", "  ", "z", 1234, "#ERROR!"),
        ("A-2", None, None, 8307756431, "Åberg & Šimek <Ltd>", "Corporate", "United States", "x", "y", 0, "West"),
    ]
    header, rows = generated[0], [*generated[1:], *tricky]
    _write_xlsx(tmp_path / "fast.xlsx", "Customers", header, rows)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    for row in (header, *rows):
        sheet.append(row)
    workbook.save(tmp_path / "openpyxl.xlsx")
    with zipfile.ZipFile(tmp_path / "fast.xlsx") as fast, zipfile.ZipFile(tmp_path / "openpyxl.xlsx") as reference:
        assert fast.read("xl/worksheets/sheet1.xml") == reference.read("xl/worksheets/sheet1.xml")
