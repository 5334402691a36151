"""The yardstick: the sales pipeline written by hand as one PySpark job, the notebook users compare
the project with (issue 8). ``make bench`` times it against ``make run`` on the same delivery.

    .venv/bin/python benchmarks/yardstick.py --source <delivery folder> --out <folder>

It does what the sales pipeline does, minus what only a managed pipeline does (landing history,
quarantine with reasons, load accounting, tests, documentation, versioned publishing): read the
raw files, type them, drop records that do not type and exact copies, clean customer names and
phones, de-duplicate the product master, join, round the profit, write the fact, the two
dimensions and the four profit aggregates as parquet under ``--out``. The rules are those of the
models' documentation, written again here as DataFrame code; the bench checks that its gold
figures equal the project's, and pipeline_tests/test_yardstick.py checks them against pandas.

Spark runs with the project's local settings (profiles.yml): ``local[*]``, the same driver memory
and shuffle partitions, so that the comparison is of the work done, not of the configuration.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

PROJECT_DIR = Path(__file__).resolve().parents[1]
REQUIRED_ORDER_FIELDS = [
    "Row ID",
    "Order ID",
    "Order Date",
    "Ship Date",
    "Ship Mode",
    "Customer ID",
    "Product ID",
    "Quantity",
    "Price",
    "Discount",
    "Profit",
]
ORDERS_SCHEMA = (
    "`Row ID` bigint, `Order ID` string, `Order Date` string, `Ship Date` string, `Ship Mode` string, "
    "`Customer ID` string, `Product ID` string, Quantity int, Price decimal(18,4), Discount decimal(5,4), "
    "Profit decimal(38,10)"
)


def session() -> SparkSession:
    lake = Path(os.environ.get("SALES_LAKE_DIR") or PROJECT_DIR / ".lake")
    return (
        SparkSession.builder.master("local[*]")
        .appName("yardstick")
        .config("spark.driver.memory", os.environ.get("SALES_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # quiet, as the project's runs: Spark's own log to a file
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dlog4j2.configurationFile={PROJECT_DIR / 'conf/log4j2.properties'} -Dsales.spark.log.dir={lake / 'logs'}",
        )
        .getOrCreate()
    )


def without_conflicts(records: DataFrame, key: Column) -> DataFrame:
    """``records`` without those whose key other records hold too (exact copies are dropped before)."""
    return records.withColumn("_copies", F.count(F.lit(1)).over(Window.partitionBy(key))).where("_copies = 1").drop("_copies")


def read_orders(spark: SparkSession, source: Path) -> DataFrame:
    """The order lines of the JSON array, typed; records missing a field or not typing are dropped."""
    (path,) = [p for p in source.iterdir() if p.name.lower() in ("orders.json", "order.json")]
    raw = spark.read.schema(ORDERS_SCHEMA).option("multiLine", "true").json(str(path))
    return (
        without_conflicts(raw.dropna(subset=REQUIRED_ORDER_FIELDS).dropDuplicates(), F.col("Row ID"))
        .select(
            F.col("Row ID").cast("string").alias("order_line_id"),
            F.upper(F.trim("Order ID")).alias("order_id"),
            F.upper(F.trim("Customer ID")).alias("customer_id"),
            F.upper(F.trim("Product ID")).alias("product_id"),
            F.trim("Ship Mode").alias("ship_mode"),
            F.col("Quantity").alias("quantity"),
            F.col("Price").alias("sales_amount"),
            F.col("Discount").alias("discount"),
            F.round("Profit", 2).cast("decimal(38,2)").alias("profit"),
            F.to_date("Order Date", "d/M/yyyy").alias("order_date"),
            F.to_date("Ship Date", "d/M/yyyy").alias("ship_date"),
        )
        .dropna(subset=["order_date", "ship_date"])
    )


def read_customers(spark: SparkSession, source: Path) -> DataFrame:
    """The customer sheet (Excel, or CSV), every cell as text, through pandas as a notebook would."""
    (path,) = [p for p in source.iterdir() if p.name.lower() in ("customer.xlsx", "customers.xlsx", "customer.csv", "customers.csv")]
    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    frame = frame.astype(object).where(frame.notna(), None)
    return spark.createDataFrame(frame, schema=", ".join(f"`{column}` string" for column in frame.columns))


def clean_customers(customers: DataFrame) -> DataFrame:
    """One row per Customer ID: the name without junk, the phone in E.164 with its extension."""
    name = F.regexp_replace(F.col("Customer Name"), r"\s*[0-9]+(?=\p{L})", "")
    name = F.regexp_replace(name, r"[^\p{L}\p{M}\s\x27\x{2019}.-]", "")
    name = F.nullif(F.trim(F.regexp_replace(name, r"\s+", " ")), F.lit(""))
    phone = F.trim(F.col("phone"))
    extension = r"(?i)(?:x|ext\.?)\s*([0-9]+)$"
    digits = F.regexp_replace(F.regexp_replace(phone, extension, ""), "[^0-9]", "")
    national = (
        F.when(phone.startswith("-"), None)
        .when(F.length(digits) == 10, digits)
        .when((F.length(digits) == 11) & digits.startswith("1"), F.substring(digits, 2, 10))
        .when((F.length(digits) == 13) & digits.startswith("001"), F.substring(digits, 4, 10))
    )
    return without_conflicts(customers.dropna(subset=["Customer ID"]).dropDuplicates(), F.upper(F.trim("Customer ID"))).select(
        F.upper(F.trim("Customer ID")).alias("customer_id"),
        name.alias("customer_name"),
        F.concat(F.lit("+1"), national).alias("phone_number"),
        F.when(national.isNotNull(), F.nullif(F.regexp_extract(phone, extension, 1), F.lit(""))).alias("phone_extension"),
    )


def clean_products(spark: SparkSession, source: Path) -> DataFrame:
    """One row per Product ID: the row whose name most rows use (ties: first name, state, lowest price)."""
    (path,) = [p for p in source.iterdir() if p.name.lower() in ("product.csv", "products.csv")]
    raw = spark.read.option("header", "true").option("escape", '"').csv(str(path)).dropDuplicates()  # RFC 4180 quotes
    products = raw.select(
        F.upper(F.trim("Product ID")).alias("product_id"),
        F.trim("Product Name").alias("product_name"),
        F.trim("Category").alias("category"),
        F.trim("Sub-Category").alias("sub_category"),
        F.trim("State").alias("state"),
        F.col("Price per product").cast("decimal(18,4)").alias("unit_price"),
    ).where(F.col("product_id").isNotNull())
    name_rows = F.count(F.lit(1)).over(Window.partitionBy("product_id", "product_name"))
    rank = F.row_number().over(
        Window.partitionBy("product_id").orderBy(F.desc("name_rows"), F.asc("product_name"), F.asc("state"), F.asc("unit_price"))
    )
    return (
        products.withColumn("name_rows", name_rows)
        .withColumn("rank", rank)
        .where("rank = 1")
        .select("product_id", "product_name", "category", "sub_category", "unit_price")
    )


def order_lines(orders: DataFrame, customers: DataFrame, products: DataFrame, spark: SparkSession) -> DataFrame:
    """The fact: each line with its customer and product; an unknown product gets the category its
    Product ID's codes name (FUR-CH-… is Furniture, Chairs), else Unknown."""
    categories = spark.read.option("header", "true").csv(str(PROJECT_DIR / "seeds/product_categories.csv"))
    sub_categories = spark.read.option("header", "true").csv(str(PROJECT_DIR / "seeds/product_sub_categories.csv"))
    codes = orders.withColumn("category_code", F.regexp_extract("product_id", "^([A-Z]+)-([A-Z]+)-", 1)).withColumn(
        "sub_category_code", F.regexp_extract("product_id", "^([A-Z]+)-([A-Z]+)-", 2)
    )
    known = products.select("product_id", "product_name", F.col("category").alias("known_category"), F.col("sub_category").alias("known_sub"))
    return (
        codes.join(customers.select("customer_id", "customer_name"), "customer_id", "left")
        .join(F.broadcast(known), "product_id", "left")
        .join(F.broadcast(categories.withColumnRenamed("category", "code_category")), "category_code", "left")
        .join(F.broadcast(sub_categories.withColumnRenamed("sub_category", "code_sub")), ["category_code", "sub_category_code"], "left")
        .select(
            "order_line_id",
            "order_id",
            "customer_id",
            "customer_name",
            "product_id",
            "product_name",
            F.coalesce("known_category", "code_category", F.lit("Unknown")).alias("category"),
            F.coalesce("known_sub", "code_sub", F.lit("Unknown")).alias("sub_category"),
            "ship_mode",
            "quantity",
            "sales_amount",
            "discount",
            "profit",
            "order_date",
            "ship_date",
            F.year("order_date").alias("order_year"),
        )
    )


def profit_by(lines: DataFrame, *keys: str) -> DataFrame:
    return lines.groupBy(*keys).agg(F.sum("profit").alias("profit"), F.count(F.lit(1)).alias("order_line_count"))


def run(source: Path, out: Path) -> None:
    spark = session()
    customers = clean_customers(read_customers(spark, source))
    products = clean_products(spark, source)
    lines = order_lines(read_orders(spark, source), customers, products, spark)
    tables = {"dim_customers": customers, "dim_products": products, "fct_order_lines": lines}
    for name, frame in tables.items():
        frame.write.mode("overwrite").parquet(str(out / name))
    lines = spark.read.parquet(str(out / "fct_order_lines"))  # the aggregates read the written fact, as the models do
    aggregates = {
        "profit_by_year": profit_by(lines, "order_year"),
        "profit_by_category": profit_by(lines, "category"),
        "profit_by_sub_category": profit_by(lines, "category", "sub_category"),
        "profit_by_customer": profit_by(lines, "customer_id", "customer_name"),
    }
    for name, frame in aggregates.items():
        frame.write.mode("overwrite").parquet(str(out / name))
    spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the delivery folder (Orders.json, Products.csv, Customer.xlsx or .csv)")
    parser.add_argument("--out", type=Path, required=True, help="folder the parquet tables are written to (replaced)")
    options = parser.parse_args()
    run(options.source, options.out)


if __name__ == "__main__":
    main()
