"""The independent computation the gold tables are checked against: pandas and the standard
library over the raw delivered files, sharing no code with ingestion, the generators or the dbt
models. Each business rule the tests check is written again here from its documentation."""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[1]
CENT = Decimal("0.01")


def raw_orders(orders_file: Path) -> pd.DataFrame:
    """The order lines of a JSON array file as delivered, with profit and order year (``order_lines``)."""
    with open(orders_file, encoding="utf-8") as handle:
        return order_lines(json.load(handle, parse_float=Decimal))


def order_lines(records: list[dict]) -> pd.DataFrame:
    """Order lines as delivered (JSON objects, numbers as Decimal or int), with profit rounded half up
    (away from zero) to the cent from the value as delivered, and the order year."""
    orders = pd.DataFrame(records)
    orders["profit"] = orders["Profit"].map(lambda value: Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))
    orders["order_year"] = pd.to_datetime(orders["Order Date"], format="%d/%m/%Y").dt.year
    return orders


def expected_categories(products_file: Path, orders: pd.DataFrame) -> pd.DataFrame:
    """Category, sub-category and whether the product is known, per order line."""
    products = pd.read_csv(products_file, dtype=str, keep_default_na=False)
    master = products.groupby("Product ID")[["Category", "Sub-Category"]].agg(set)
    assert (master.map(len) == 1).all().all(), "the sample gives every Product ID one category"
    master = master.map(lambda values: next(iter(values)))
    categories = pd.read_csv(PROJECT_DIR / "seeds/product_categories.csv", dtype=str)
    sub_categories = pd.read_csv(PROJECT_DIR / "seeds/product_sub_categories.csv", dtype=str)
    category_by_code = dict(zip(categories.category_code, categories.category, strict=True))
    sub_category_by_codes = {(row.category_code, row.sub_category_code): row.sub_category for row in sub_categories.itertuples()}

    def classify(product_id: str) -> tuple[str, str, bool]:
        if product_id in master.index:
            return master.at[product_id, "Category"], master.at[product_id, "Sub-Category"], True
        category_code, sub_category_code = product_id.split("-")[:2]
        return (
            category_by_code.get(category_code, "Unknown"),
            sub_category_by_codes.get((category_code, sub_category_code), "Unknown"),
            False,
        )

    classified = orders["Product ID"].map(classify)
    return pd.DataFrame(classified.tolist(), columns=["category", "sub_category", "has_product_master"], index=orders.index)


def clean_name(raw: object) -> str | None:
    """The documented name rule, written again in Python."""
    if not isinstance(raw, str):
        return None
    text = re.sub(r"\s*\d+(?=[^\W\d_])", "", raw)
    kept = "".join(ch for ch in text if ch.isalpha() or unicodedata.category(ch).startswith("M") or ch.isspace() or ch in "'’.-")
    return " ".join(kept.split()) or None


def profit_by(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, Decimal]:
    return {(key if isinstance(key, tuple) else (key,)): sum(group, Decimal(0)) for key, group in frame.groupby(keys, dropna=False)["profit"]}


# The extension at the end of a phone: x1856, ext. 1856, ext 1856 (any case).
PHONE_EXTENSION = re.compile(r"(?:x|ext\.?)\s*([0-9]+)\s*$", flags=re.IGNORECASE)


def normalised_phone(raw: object) -> tuple[str | None, str | None]:
    """(phone number in E.164, extension) by the documented rule (README, "phone"; the docs of
    dim_customers.phone_number): the extension is split off first; the digits left must be 10, or 11
    starting with 1, or 13 starting with 001; a negative number (an Excel typing accident),
    ``#ERROR!`` or any other count of digits gives (None, None)."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None, None
    text = str(raw).strip()
    if text.startswith("-"):
        return None, None
    extension = PHONE_EXTENSION.search(text)
    number = text[: extension.start()] if extension else text
    digits = "".join(ch for ch in number if ch in "0123456789")
    for prefix in ("001", "1"):
        if len(digits) == 10 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if len(digits) != 10:
        return None, None
    return f"+1{digits}", extension.group(1) if extension else None
