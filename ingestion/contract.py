"""The source file contract: which files a delivery holds and which fields each one carries.

This is the single place that names the source fields. The generator writes files in this shape,
landing validates deliveries against it, and the bronze tables' columns (declared in
``models/staging/sales/_sales__sources.yml``) are the ``column`` names below, in this order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    source_name: str  # the key or header as it appears in the delivered file
    column: str  # the bronze column it lands in (raw text, snake_case)
    kind: str = "text"  # what the text must parse as: text, int, decimal or date (d/M/yyyy)
    required: bool = False  # a record without a value here is quarantined


@dataclass(frozen=True)
class SourceTable:
    name: str  # bronze table name, and the dbt source table name
    default_pattern: str  # case-insensitive regex matched against the whole file name
    fields: tuple[Field, ...]
    key: str | None = None  # source field that identifies a record, if any (products have none)

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(field.source_name for field in self.fields)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(field.column for field in self.fields)

    def matches(self, file_name: str, pattern: str | None = None) -> bool:
        return re.fullmatch(pattern or self.default_pattern, file_name, flags=re.IGNORECASE) is not None


ORDERS = SourceTable(
    name="orders",
    default_pattern=r"orders?\.json",
    fields=(
        Field("Row ID", "row_id", "int", required=True),
        Field("Order ID", "order_id", required=True),
        Field("Order Date", "order_date", "date", required=True),
        Field("Ship Date", "ship_date", "date", required=True),
        Field("Ship Mode", "ship_mode", required=True),
        Field("Customer ID", "customer_id", required=True),
        Field("Product ID", "product_id", required=True),
        Field("Quantity", "quantity", "int", required=True),
        Field("Price", "price", "decimal", required=True),
        Field("Discount", "discount", "decimal", required=True),
        Field("Profit", "profit", "decimal", required=True),
    ),
    key="Row ID",
)

PRODUCTS = SourceTable(
    name="products",
    default_pattern=r"products?\.csv",
    fields=(
        Field("Product ID", "product_id", required=True),
        Field("Category", "category"),
        Field("Sub-Category", "sub_category"),
        Field("Product Name", "product_name"),
        Field("State", "state"),
        Field("Price per product", "price_per_product", "decimal"),
    ),
)

CUSTOMERS = SourceTable(
    name="customers",
    default_pattern=r"customers?\.(xlsx|csv)",
    fields=(
        Field("Customer ID", "customer_id", required=True),
        Field("Customer Name", "customer_name"),
        Field("email", "email"),
        Field("phone", "phone"),
        Field("address", "address"),
        Field("Segment", "segment"),
        Field("Country", "country"),
        Field("City", "city"),
        Field("State", "state"),
        Field("Postal Code", "postal_code"),
        Field("Region", "region"),
    ),
    key="Customer ID",
)

SOURCE_TABLES: tuple[SourceTable, ...] = (ORDERS, PRODUCTS, CUSTOMERS)

# Lineage columns that landing adds to every bronze row, after the source fields.
LINEAGE_COLUMNS: tuple[str, ...] = ("_source_file", "_source_position", "_loaded_at")

# Columns of each table's quarantine (bronze.<table>_quarantine): records that were read but not loaded.
QUARANTINE_COLUMNS: tuple[str, ...] = ("_source_file", "_source_position", "raw_record", "reason", "_loaded_at")
