"""Sample deliveries of the sales source system: ``Orders.json``, ``Products.csv`` and ``Customer.xlsx`` (or ``.csv``).

The files take their shape from the system's declaration, the sources YAML that landing reads
(``ingestion.declaration``): each table's fields by their names in the file, in declared order,
under file names the declared patterns match. Reference data comes from ``seeds/``: category and
sub-category codes and names, ship mode names and their longest shipping time. What only a
generator needs (weights, price ranges, brands, margins, dirt shares) stays here, keyed by those
codes and names, and is checked against the seeds before anything is written.

The files carry the dirt a real extract has: junk in customer names, invalid emails, phones Excel
turned into numbers, products listed once per state, order lines pointing at products missing
from the product file. Every kind of dirt is assigned by quota, so even a small scale holds each
kind at least once.

Same seed and scale give byte-identical files: all randomness comes from one ``random.Random``
and one seeded ``Faker``, and the workbook's timestamps are pinned.

Memory stays small at any scale: order lines and customers are written as they are drawn, product
rows are shuffled through a temporary file, and what is kept is one compact entry per product and
the customer IDs (about 0.3 GB at scale 1000, beside a 3 GB orders file).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import logging
import math
import operator
import random
import shutil
import string
import tempfile
import unicodedata
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, NamedTuple, Self, TypeVar

import openpyxl
from faker import Faker
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as _ILLEGAL_XML
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from ingestion.declaration import Table, load_systems

log = logging.getLogger(__name__)
T = TypeVar("T")

PROJECT_DIR = Path(__file__).resolve().parents[1]
SYSTEM = "sales"

# Sizes at scale 1; all three grow linearly with the scale.
LINES_PER_SCALE = 10_000
CUSTOMERS_PER_SCALE = 800
PRODUCTS_PER_SCALE = 1_500

# The columns each table's records are built with here; the declaration orders and names them.
ORDER_COLUMNS = (
    "row_id", "order_id", "order_date", "ship_date", "ship_mode", "customer_id", "product_id",
    "quantity", "price", "discount", "profit",
)  # fmt: skip
PRODUCT_COLUMNS = ("product_id", "category", "sub_category", "product_name", "state", "price_per_product")
CUSTOMER_COLUMNS = (
    "customer_id", "customer_name", "email", "phone", "address", "segment", "country", "city", "state",
    "postal_code", "region",
)  # fmt: skip
FILE_NAMES = {"orders": "Orders.json", "products": "Products.csv", "customers": "Customer.{format}"}
FILE_FORMATS = {"json": "json", "csv": "csv", "xlsx": "excel"}  # file extension -> declared format

# Codes outside the seeds for the order lines whose product code is wrong, not just unknown.
INVALID_CODES: tuple[tuple[str, str], ...] = (("XYZ", "QQ"), ("TEK", "PH"), ("OFS", "PA"), ("FUR", "ZZ"), ("FUR", "PH"))


class SubCategoryProfile(NamedTuple):
    """How a sub-category's products look: share of the catalogue, price range, margin, name parts."""

    weight: int  # relative number of products
    price_low: float  # unit prices are log-uniform in [price_low, price_high]
    price_high: float
    margin: float  # mean profit margin before discount
    brands: tuple[str, ...]
    items: tuple[str, ...]
    options: tuple[str, ...]  # what follows a comma in a name: finish, colour, pack size
    sizes: tuple[str, ...]  # sizes in inches: the double quotes the CSV writer must double


# Keyed by sub-category code (unique across categories; the seeds name them).
# fmt: off
SUB_CATEGORY_PROFILES: dict[str, SubCategoryProfile] = {
    "BO": SubCategoryProfile(48, 60, 900, 0.12, ("Bush", "Sauder", "O'Sullivan", "Atlantic Metals", "Safco"),
                             ("Bookcase", "2-Shelf Bookcase", "5-Shelf Bookcase", "Barrister Bookcase", "Corner Bookcase"),
                             ("Planked Cherry Finish", "Black", "Oak", "Pewter", "Assembled"),
                             ('72" High', '36" Wide')),
    "CH": SubCategoryProfile(99, 40, 1200, 0.22, ("Hon", "Global", "Office Star", "SAFCO", "Novimex"),
                             ("Task Chair", "Stacking Chair", "Leather Armchair", "Mesh Back Chair", "Folding Chair"),
                             ("Gray", "Black", "Rounded Back", "Adjustable Height", "Set of 4"),
                             ('18" Seat Height', '20" Wide Seat')),
    "FU": SubCategoryProfile(186, 2, 300, 0.30, ("Eldon", "Howard Miller", "Tenex", "Deflect-o", "Advantus"),
                             ("Wall Clock", "Desk Accessories", "Chairmat", "Frame", "Desk Lamp", "Document Tray"),
                             ("Cherry Wood", "Brushed Chrome", "Walnut", "Smoke", "Pack of 2"),
                             ('13-3/4" Diameter', '8" x 10"', '11" x 14"')),
    "TA": SubCategoryProfile(56, 80, 1500, 0.12, ("Bretford", "Chromcraft", "Hon", "Bevis", "Lesro"),
                             ("Conference Table", "Rectangular Table", "Round Table", "Training Table"),
                             ("Walnut", "Gray Nebula", "Mahogany", "Light Oak", "Seats 8"),
                             ('60" x 30"', '48" Round', '72" x 36"')),
    "AP": SubCategoryProfile(96, 8, 1200, 0.30, ("Holmes", "Hoover", "Belkin", "Honeywell", "Kensington"),
                             ("HEPA Air Cleaner", "Surge Protector", "Microwave", "Replacement Filter", "Desktop Fan"),
                             ("White", "Black", "6 Outlets", "Very Large Room", "Energy Star"),
                             ('16" Blade', '12" Wide')),
    "AR": SubCategoryProfile(227, 1, 60, 0.30, ("Newell", "Dixon", "Sanford", "BIC", "Prismacolor"),
                             ("Pencils", "Highlighters", "Markers", "Pencil Sharpener", "Ballpoint Pens"),
                             ("Assorted Colors", "12-Pack", "Black", "Fine Point", "10-Color Set"),
                             ('7" Long', '12" Ruler Edge')),
    "BI": SubCategoryProfile(212, 2, 250, 0.38, ("Avery", "Wilson Jones", "Cardinal", "Acco", "GBC", "Ibico"),
                             ("Binder", "Non-Stick Binders", "Round Ring Binder", "Binding Combs", "Presentation Binder"),
                             ("Blue", "Letter Size", "Recycled", "Pack of 10", "White"),
                             ('1" Capacity', '1/2" Capacity', '3" Ring')),
    "EN": SubCategoryProfile(97, 3, 60, 0.42, ("Ames", "Tyvek", "Quality Park", "Staple"),
                             ("Envelopes", "Interoffice Envelopes", "Clasp Envelopes", "Security-Tint Envelopes"),
                             ("White", "Kraft", "Box of 500", "Self-Seal"),
                             ('4-1/8" x 9-1/2"', '6" x 9"', '10" x 13"')),
    "FA": SubCategoryProfile(92, 1, 25, 0.30, ("OIC", "Advantus", "Acco", "Universal"),
                             ("Binder Clips", "Push Pins", "Paper Clips", "Rubber Bands", "Thumb Tacks"),
                             ("Assorted", "Box of 100", "Jumbo", "Gold"),
                             ('3/4" Capacity', '2" Jumbo')),
    "LA": SubCategoryProfile(70, 2, 30, 0.44, ("Avery", "Smead", "Dymo", "Brother"),
                             ("Address Labels", "File Folder Labels", "Shipping Labels", "Removable Labels"),
                             ("White", "Laser/Inkjet", "Permanent", "Pack of 750"),
                             ('1" x 2-5/8"', '4" x 6"', '2" x 4"')),
    "PA": SubCategoryProfile(277, 4, 60, 0.43, ("Xerox", "Hammermill", "HP", "Southworth", "Adams", "TOPS"),
                             ("Copy Paper", "Message Book", "Laser Paper", "Cardstock", "Memo Pads"),
                             ("White", "Bright White", "Ream", "Pastel Colors", "96 Bright"),
                             ('8-1/2" x 11"', '11" x 17"', '8-1/2" x 14"')),
    "ST": SubCategoryProfile(217, 8, 900, 0.20, ("Fellowes", "Eldon", "Tennsco", "Sterilite", "Stur-D-Stor", "Safco"),
                             ("Storage Box", "Filing Cabinet", "Shelving", "Drawer Organizer", "File Cart"),
                             ("Black", "Letter/Legal", "Gray", "Stackable", "5-Shelf"),
                             ('72"H x 36"W x 18"D', '15" Deep', '24" Wide')),
    "SU": SubCategoryProfile(63, 2, 200, 0.15, ("Acme", "Fiskars", "Martin-Yale", "Premier"),
                             ("Scissors", "Letter Opener", "Trimmer", "Hole Punch", "Box Cutter"),
                             ("Black Handles", "Stainless Steel", "Softgrip", "Straight"),
                             ('8" Blade', '7" Straight')),
    "AC": SubCategoryProfile(147, 5, 500, 0.28, ("Logitech", "Kingston", "SanDisk", "Plantronics", "Memorex"),
                             ("Wireless Mouse", "Keyboard", "USB Flash Drive", "Headset", "Webcam"),
                             ("Black", "32GB", "Bluetooth", "Ergonomic", "USB 3.0"),
                             ('15.6" Laptop', '10" Tablet')),
    "CO": SubCategoryProfile(13, 300, 3500, 0.40, ("Canon", "Sharp", "Hewlett Packard", "Brother"),
                             ("imageCLASS Copier", "Digital Copier", "Multifunction Copier"),
                             ("Color", "Wireless", "Duplex", "Advanced"),
                             ('11" x 17" Capable', '8-1/2" x 14" Tray')),
    "MA": SubCategoryProfile(115, 30, 4000, 0.20, ("Cubify", "Okidata", "Epson", "Lexmark", "Zebra"),
                             ("3D Printer", "Dot Matrix Printer", "Label Printer", "Shredder", "Laminator"),
                             ("Double Head Print", "Network Ready", "Monochrome", "Cross-Cut"),
                             ('12" Wide', '4" Label Width')),
    "PH": SubCategoryProfile(184, 20, 900, 0.25, ("Apple", "Samsung", "Cisco", "Polycom", "Motorola", "AT&T"),
                             ("Smartphone", "IP Phone", "Conference Phone", "Cordless Phone", "Speakerphone"),
                             ("Black", "Unlocked", "Refurbished", "Dual Handset", "with Caller ID"),
                             ('5.5" Display', '4.7" Display')),
}
# fmt: on

# US states: name -> (postal abbreviation, sales region, population in millions as a sampling weight).
# fmt: off
US_STATES: dict[str, tuple[str, str, float]] = {
    "Alabama": ("AL", "South", 5.0), "Alaska": ("AK", "West", 0.7), "Arizona": ("AZ", "West", 7.2),
    "Arkansas": ("AR", "South", 3.0), "California": ("CA", "West", 39.5), "Colorado": ("CO", "West", 5.8),
    "Connecticut": ("CT", "East", 3.6), "Delaware": ("DE", "East", 1.0), "District of Columbia": ("DC", "East", 0.7),
    "Florida": ("FL", "South", 21.5), "Georgia": ("GA", "South", 10.7), "Hawaii": ("HI", "West", 1.5),
    "Idaho": ("ID", "West", 1.8), "Illinois": ("IL", "Central", 12.8), "Indiana": ("IN", "Central", 6.8),
    "Iowa": ("IA", "Central", 3.2), "Kansas": ("KS", "Central", 2.9), "Kentucky": ("KY", "South", 4.5),
    "Louisiana": ("LA", "South", 4.7), "Maine": ("ME", "East", 1.4), "Maryland": ("MD", "East", 6.2),
    "Massachusetts": ("MA", "East", 7.0), "Michigan": ("MI", "Central", 10.1), "Minnesota": ("MN", "Central", 5.7),
    "Mississippi": ("MS", "South", 3.0), "Missouri": ("MO", "Central", 6.2), "Montana": ("MT", "West", 1.1),
    "Nebraska": ("NE", "Central", 2.0), "Nevada": ("NV", "West", 3.1), "New Hampshire": ("NH", "East", 1.4),
    "New Jersey": ("NJ", "East", 9.3), "New Mexico": ("NM", "West", 2.1), "New York": ("NY", "East", 20.2),
    "North Carolina": ("NC", "South", 10.4), "North Dakota": ("ND", "Central", 0.8), "Ohio": ("OH", "East", 11.8),
    "Oklahoma": ("OK", "Central", 4.0), "Oregon": ("OR", "West", 4.2), "Pennsylvania": ("PA", "East", 13.0),
    "Rhode Island": ("RI", "East", 1.1), "South Carolina": ("SC", "South", 5.1), "South Dakota": ("SD", "Central", 0.9),
    "Tennessee": ("TN", "South", 6.9), "Texas": ("TX", "Central", 29.1), "Utah": ("UT", "West", 3.3),
    "Vermont": ("VT", "East", 0.6), "Virginia": ("VA", "South", 8.6), "Washington": ("WA", "West", 7.7),
    "West Virginia": ("WV", "East", 1.8), "Wisconsin": ("WI", "Central", 5.9), "Wyoming": ("WY", "West", 0.6),
}
# fmt: on

SEGMENTS = ("Consumer", "Corporate", "Home Office")
SEGMENT_WEIGHTS = (50, 30, 20)

# Ship mode (names from seeds/ship_modes.csv) -> (share of orders in %, fewest days between order
# and shipping). The most days come from the seed's max_days_to_ship.
SHIP_MODE_PROFILES: dict[str, tuple[int, int]] = {
    "Standard Class": (60, 4),
    "Second Class": (20, 2),
    "First Class": (15, 1),
    "Same Day": (5, 0),
}

FIRST_ORDER_DATE = dt.date(2021, 1, 1)
LAST_ORDER_DATE = dt.date(2024, 12, 31)
YEAR_GROWTH = {2021: 1.0, 2022: 1.1, 2023: 1.3, 2024: 1.6}
MONTH_SEASON = (0.5, 0.4, 1.0, 0.8, 0.9, 0.9, 0.9, 0.9, 1.6, 1.0, 1.8, 1.7)  # September and year-end peaks

LINES_PER_ORDER_WEIGHTS = (35, 28, 18, 11, 8)  # 1..5 lines
QUANTITY_WEIGHTS = (9, 24, 24, 12, 12, 6, 6, 3, 2.6, 0.6, 0.3, 0.2, 0.2, 0.3)  # 1..14 items
DISCOUNTS = (0.0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
DISCOUNT_WEIGHTS = (55, 5, 2, 22, 4, 4, 3, 2, 2, 1)

ORPHAN_LINE_SHARE = 0.01  # order lines whose product is missing from Products.csv
INVALID_CODE_SHARE = 0.1  # of those, the ones whose product code is not in the seeds either
MULTI_ROW_PRODUCT_SHARE = 0.15  # product IDs listed on 2-3 rows (one per state)

# Share of customers / products carrying each kind of dirt (kinds are exclusive within a field).
NAME_DIRT = {"digits": 0.04, "symbols": 0.02, "padding": 0.02, "empty": 0.01, "non_ascii": 0.03}
EMAIL_DIRT = {"no_at": 0.01, "two_at": 0.01, "space": 0.01}
PHONE_DIRT = {"bare_int": 0.08, "negative": 0.02, "error": 0.02}
PRODUCT_NAME_KINDS = {"inch_size": 0.08, "comma": 0.30}

# Legitimate names with letters outside ASCII; every combination has at least one such letter.
# fmt: off
NON_ASCII_FIRST_NAMES = (
    "Zoë", "José", "Renée", "Chloé", "Jürgen", "Søren", "Anaïs", "Björn", "Noémie", "François", "Inês", "Tomás",
)
NON_ASCII_LAST_NAMES = (
    "Bühler", "Núñez", "O'Brien-Smith", "Müller", "Gonçalves", "Çelik", "Dvořák", "Jiménez", "Sánchez", "Lefèvre",
    "Åberg", "Šimek",
)
# fmt: on

# How json.dumps writes each scalar type the order lines hold.
_JSON_SCALARS = {str: encode_basestring_ascii, int: int.__repr__, float: float.__repr__}

# A fixed workbook timestamp (and zip entry time) so the .xlsx bytes depend on the data only.
WORKBOOK_TIMESTAMP = dt.datetime(2025, 1, 1)
ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
CUSTOMER_SHEET = "Customers"
EXCEL_MAX_ROWS = 1_048_576

# Order numbers have 6 digits, as in the source system (CA-2016-122581), and more once a delivery
# has more order lines than 6 digits can number.
ORDER_NUMBER_DIGITS = 6


class SampleDataError(Exception):
    """The generator's own knobs disagree with the seeds or the declaration; the message says where."""


class ReferenceData(NamedTuple):
    """What the generator takes from seeds/."""

    categories: dict[str, tuple[str, dict[str, str]]]  # category code -> (category, {sub-category code -> sub-category})
    max_days_to_ship: dict[str, int]  # ship mode -> most days between order and shipping


class Layout(NamedTuple):
    """A table's file as the declaration shapes it."""

    file_name: str
    names: tuple[str, ...]  # the fields' names in the file (header, JSON keys), in declared order
    arrange: Callable[[Sequence[object]], tuple[object, ...]]  # a record's values, from this module's column order to the declared one


class Product(NamedTuple):
    product_id: str
    sub_category: str
    price: float  # the price order lines are billed at


class ProductNumbers:
    """Product IDs like ``FUR-CH-10002961``: per code pair, a number in [10,000,000, 10,999,999] not used
    before, remembered as one bit each (a set of the IDs would take 100 bytes each at scale 1000)."""

    FIRST, COUNT = 10_000_000, 1_000_000

    def __init__(self) -> None:
        self._used: dict[str, bytearray] = {}

    def new_id(self, rng: random.Random, category: str, sub: str) -> str:
        """Draw numbers until one is free for ``category``-``sub``; take it and return the ID."""
        used = self._used.setdefault(f"{category}-{sub}", bytearray(self.COUNT // 8))
        while True:
            offset = rng.randint(self.FIRST, self.FIRST + self.COUNT - 1) - self.FIRST
            if not used[offset >> 3] & (1 << (offset & 7)):
                used[offset >> 3] |= 1 << (offset & 7)
                return f"{category}-{sub}-{self.FIRST + offset}"


class Catalogue:
    """The products order lines pick from, held compactly (14 bytes each): code pair, number, price."""

    def __init__(self) -> None:
        self._pairs: dict[str, int] = {}  # "FUR-CH" -> index
        self._pair_names: list[str] = []
        self._pair_of = array("H")
        self._number_of = array("I")
        self._price_of = array("d")

    def append(self, product: Product) -> None:
        pair, _, number = product.product_id.rpartition("-")
        if pair not in self._pairs:
            self._pairs[pair] = len(self._pair_names)
            self._pair_names.append(pair)
        self._pair_of.append(self._pairs[pair])
        self._number_of.append(int(number))
        self._price_of.append(product.price)

    def __len__(self) -> int:
        return len(self._number_of)

    def __getitem__(self, index: int) -> Product:
        pair = self._pair_names[self._pair_of[index]]
        return Product(f"{pair}-{self._number_of[index]}", pair.rpartition("-")[2], self._price_of[index])


def generate_sales_files(
    out_dir: Path, *, scale: float = 1.0, seed: int = 42, customer_format: str = "xlsx", project_dir: Path = PROJECT_DIR
) -> dict[str, Path]:
    """Write a sample delivery to ``out_dir`` and return the path of each table's file.

    ``scale`` 1 gives 10,000 order lines, about 800 customers and 1,500 product IDs; all grow
    linearly. ``customer_format`` is ``"xlsx"`` (``Customer.xlsx``) or ``"csv"`` (``Customer.csv``).
    Field names and order come from the declaration under ``project_dir/models``, reference data
    from ``project_dir/seeds``.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if customer_format not in ("xlsx", "csv"):
        raise ValueError(f"customer_format must be 'xlsx' or 'csv', got {customer_format!r}")
    project_dir = Path(project_dir)
    reference = load_reference_data(project_dir)
    layouts = declared_layouts(project_dir, customer_format)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {table: out_dir / layout.file_name for table, layout in layouts.items()}
    rng = random.Random(seed)
    fake = Faker("en_US", use_weighting=False)  # uniform draws from its lists: 5 times faster, names as varied
    fake.seed_instance(seed)

    n_lines = max(1, round(LINES_PER_SCALE * scale))
    n_customers = max(1, round(CUSTOMERS_PER_SCALE * scale))
    customers = _customers(rng, fake, n_customers, as_csv=customer_format == "csv")
    customer_ids = _write_customers(paths["customers"], layouts["customers"], customers)

    product_ids = ProductNumbers()
    catalogue, n_product_rows = _write_products(
        paths["products"], layouts["products"], rng, max(1, round(PRODUCTS_PER_SCALE * scale)), reference, product_ids
    )

    lines = _order_lines(rng, n_lines, customer_ids, catalogue, product_ids, reference)
    _write_json_array(paths["orders"], layouts["orders"], lines)
    log.info(
        "generated %d order lines, %d customers, %d products (%d rows) in %s",
        n_lines, len(customer_ids), len(catalogue), n_product_rows, out_dir,
    )  # fmt: skip
    return paths


def generate_sales_increment(
    full_dir: Path, out_dir: Path, *, share: float = 0.01, corrections: int = 5, seed: int = 42, project_dir: Path = PROJECT_DIR
) -> Path:
    """Write an increment to the delivery in ``full_dir`` (its Orders.json) as ``out_dir/Orders.json``
    and return its path: new order lines (``share`` of the delivery's lines, at least one) in the
    delivery's last month, ``corrections`` of its lines delivered again with another quantity and
    profit (same Row ID), and one late line for its oldest month.

    The delivery's file is streamed twice (to count its lines, then to copy the chosen ones): memory
    stays flat at any scale.
    """
    import ijson  # landing's streaming JSON reader: only this generator reads a delivery

    layout = declared_layouts(project_dir)["orders"]
    name_of = dict(zip(layout.arrange(ORDER_COLUMNS), layout.names, strict=True))
    source = Path(full_dir) / layout.file_name

    def lines() -> Iterator[tuple[object, ...]]:
        with source.open("rb") as handle:
            for item in ijson.items(handle, "item", use_float=True):
                yield tuple(item[name_of[column]] for column in ORDER_COLUMNS)

    count, last_row_id, oldest, newest = 0, 0, (dt.date.max, 0), dt.date.min
    for index, line in enumerate(lines()):
        count, last_row_id = index + 1, max(last_row_id, int(line[0]))
        try:
            day = dt.datetime.strptime(str(line[2]), "%d/%m/%Y").date()
        except ValueError:
            continue  # a line the record rules quarantine: not a template
        oldest, newest = min(oldest, (day, index)), max(newest, day)
    if count == 0:
        raise SampleDataError(f"{source}: no order lines to write an increment to")
    rng = random.Random(seed)
    new_count = max(1, round(count * share))
    templates = rng.sample(range(count), min(count, new_count))
    corrected = set(rng.sample(range(count), min(count, corrections)))
    wanted = corrected | set(templates) | {oldest[1]}
    chosen = {index: line for index, line in enumerate(lines()) if index in wanted}

    def increment() -> Iterator[tuple[object, ...]]:
        for index in sorted(corrected):
            row_id, order_id, order_date, ship_date, ship_mode, customer_id, product_id, quantity, price, discount, profit = chosen[index]
            yield (
                row_id,
                order_id,
                order_date,
                ship_date,
                ship_mode,
                customer_id,
                product_id,
                quantity + 1,
                price,
                discount,
                round(profit + 12.5, 4),
            )
        row_id = last_row_id
        late = (oldest[0], [oldest[1]])
        for day, indices in [(newest.replace(day=1), [templates[i % len(templates)] for i in range(new_count)]), late]:
            for index in indices:
                row_id += 1
                values = list(chosen[index])
                values[0], values[1] = row_id, f"CA-{day.year}-9{row_id:08d}"
                values[2], values[3] = _date_text(day), _date_text(day + dt.timedelta(days=3))
                yield tuple(values)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / layout.file_name
    _write_json_array(path, layout, increment())
    log.info("generated an increment of %d new order lines, %d corrections and 1 late line in %s", new_count, len(corrected), out_dir)
    return path


# --- what the generator reads: the declaration and the seeds -----------------------------------
# --- what the generator reads: the declaration and the seeds -----------------------------------


def declared_layouts(project_dir: Path = PROJECT_DIR, customer_format: str = "xlsx") -> dict[str, Layout]:
    """Each generated table's file name, field names and field order, from the sales declaration.

    Refuses a declaration whose columns differ from what this generator writes, or whose file
    patterns would not pick up the file names it writes.
    """
    systems = load_systems(project_dir)
    if SYSTEM not in systems:
        raise SampleDataError(f"no source system '{SYSTEM}' is declared under {project_dir / 'models'}")
    system = systems[SYSTEM]
    tables = {table.name: table for table in system.tables}
    generated = {"orders": ORDER_COLUMNS, "products": PRODUCT_COLUMNS, "customers": CUSTOMER_COLUMNS}
    for name in tables.keys() - generated.keys():
        log.warning("%s declares table '%s.%s', which the sample generator does not write", system.declared_in, SYSTEM, name)
    layouts = {}
    for name, columns in generated.items():
        if name not in tables:
            raise SampleDataError(f"{system.declared_in}: the sample generator writes table '{SYSTEM}.{name}', which is not declared")
        layouts[name] = _layout(tables[name], columns, FILE_NAMES[name].format(format=customer_format))
    return layouts


def _layout(table: Table, columns: tuple[str, ...], file_name: str) -> Layout:
    declared = table.columns
    missing, extra = sorted(set(declared) - set(columns)), sorted(set(columns) - set(declared))
    if missing or extra:
        raise SampleDataError(
            f"table '{table.qualified_name}': the sample generator has no values for the declared columns {missing} "
            f"and values for the undeclared columns {extra}; change samples/sales.py with the declaration"
        )
    file_format = FILE_FORMATS[file_name.rsplit(".", 1)[-1]]
    spec = table.file_spec(file_name)
    if spec is None or spec.format != file_format:
        raise SampleDataError(f"table '{table.qualified_name}': no declared file pattern takes '{file_name}' as {file_format}")
    arrange = operator.itemgetter(*(columns.index(column) for column in declared))
    return Layout(file_name, tuple(field.name for field in table.fields), arrange)


def load_reference_data(project_dir: Path = PROJECT_DIR) -> ReferenceData:
    """Category and sub-category codes and names, and ship modes, from the seeds; checked against
    the generator's knobs (SUB_CATEGORY_PROFILES, SHIP_MODE_PROFILES, INVALID_CODES)."""
    seeds = project_dir / "seeds"
    categories: dict[str, tuple[str, dict[str, str]]] = {
        row["category_code"]: (row["category"], {}) for row in _seed_rows(seeds / "product_categories.csv")
    }
    for row in _seed_rows(seeds / "product_sub_categories.csv"):
        if row["category_code"] not in categories:
            raise SampleDataError(f"seeds/product_sub_categories.csv: category code {row['category_code']!r} is not in seeds/product_categories.csv")
        categories[row["category_code"]][1][row["sub_category_code"]] = row["sub_category"]
    max_days = {row["ship_mode"]: int(row["max_days_to_ship"]) for row in _seed_rows(seeds / "ship_modes.csv")}
    reference = ReferenceData(categories, max_days)
    _check_knobs(reference)
    return reference


def _seed_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _check_knobs(reference: ReferenceData) -> None:
    problems = []
    sub_codes = [sub for _, subs in reference.categories.values() for sub in subs]
    if len(set(sub_codes)) != len(sub_codes):
        problems.append("a sub-category code appears under two categories, but SUB_CATEGORY_PROFILES is keyed by the code alone")
    for what, seed, knob, in_seed, in_knob in (
        ("sub-category codes", "product_sub_categories.csv", "SUB_CATEGORY_PROFILES", set(sub_codes), set(SUB_CATEGORY_PROFILES)),
        ("ship modes", "ship_modes.csv", "SHIP_MODE_PROFILES", set(reference.max_days_to_ship), set(SHIP_MODE_PROFILES)),
    ):
        if in_seed - in_knob:
            problems.append(f"{what} {sorted(in_seed - in_knob)} of seeds/{seed} have no entry in {knob}")
        if in_knob - in_seed:
            problems.append(f"{knob} has {what} {sorted(in_knob - in_seed)} that seeds/{seed} does not list")
    for mode, (_, fewest) in SHIP_MODE_PROFILES.items():
        most = reference.max_days_to_ship.get(mode)
        if most is not None and fewest > most:
            problems.append(f"SHIP_MODE_PROFILES ships '{mode}' in {fewest} days at the earliest, seeds/ship_modes.csv in {most} at the latest")
    valid = {(category, sub) for category, (_, subs) in reference.categories.items() for sub in subs}
    problems += [
        f"INVALID_CODES holds {category}-{sub}, which the seeds list as valid" for category, sub in INVALID_CODES if (category, sub) in valid
    ]
    if problems:
        raise SampleDataError("the sales sample generator disagrees with seeds/: " + "; ".join(problems))


# --- customers ---------------------------------------------------------------------------------


def _customers(rng: random.Random, fake: Faker, count: int, *, as_csv: bool) -> Iterator[tuple[str, tuple[object, ...]]]:
    """Yield (Customer ID, values in CUSTOMER_COLUMNS order) per customer, with cell values for a
    workbook or, ``as_csv``, for a CSV file."""
    name_dirt = _assign_kinds(rng, count, NAME_DIRT)
    email_dirt = _assign_kinds(rng, count, EMAIL_DIRT)
    phone_dirt = _assign_kinds(rng, count, PHONE_DIRT)
    state_names = list(US_STATES)
    state_weights = list(itertools.accumulate(weight for _, _, weight in US_STATES.values()))
    used_ids: set[str] = set()
    for index in range(count):
        if name_dirt[index] == "non_ascii":
            first, last = rng.choice(NON_ASCII_FIRST_NAMES), rng.choice(NON_ASCII_LAST_NAMES)
        else:
            first, last = fake.first_name(), fake.last_name()
        clean_name = f"{first} {last}"
        customer_id = _customer_id(rng, clean_name, used_ids)
        state = rng.choices(state_names, cum_weights=state_weights)[0]
        abbreviation, region, _ = US_STATES[state]
        city = fake.city()
        postal_code = fake.zipcode_in_state(abbreviation)
        name = _dirty_name(rng, clean_name, name_dirt[index])
        values = (
            customer_id,
            "" if name is None and as_csv else name,
            _dirty_email(rng, fake.email(), email_dirt[index]),
            _dirty_phone(rng, fake.phone_number(), phone_dirt[index]),
            f"{fake.street_address()}\n{city}, {abbreviation} {postal_code}",
            rng.choices(SEGMENTS, weights=SEGMENT_WEIGHTS)[0],
            "United States",
            city,
            state,
            # A numeric cell, as Excel keeps it: ZIP codes starting with 0 (New England, New Jersey)
            # lose that digit in the workbook; the CSV keeps the five digits of the text.
            postal_code if as_csv else int(postal_code),
            region,
        )
        yield customer_id, values


def _write_customers(path: Path, layout: Layout, customers: Iterable[tuple[str, tuple[object, ...]]]) -> list[str]:
    """Write the customer file as the customers are drawn; return their IDs, for the order lines."""
    customer_ids: list[str] = []

    def rows() -> Iterator[tuple[object, ...]]:
        for customer_id, values in customers:
            customer_ids.append(customer_id)
            yield layout.arrange(values)

    if path.suffix == ".xlsx":
        _write_xlsx(path, CUSTOMER_SHEET, layout.names, rows())
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(layout.names)
            writer.writerows(rows())
    return customer_ids


def _customer_id(rng: random.Random, clean_name: str, used: set[str]) -> str:
    """``JK-15370``: initials of the first and last word of the name, then 5 digits, unique."""
    words = clean_name.split()
    initials = "".join(_ascii_letter(word) for word in (words[0], words[-1]))
    return _unique(used, lambda: f"{initials}-{rng.randint(10000, 99999)}")


def _ascii_letter(word: str) -> str:
    """The word's first letter as an ASCII capital: 'Zoë' -> 'Z', 'Çelik' -> 'C'."""
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return (folded[:1] or "X").upper()


def _dirty_name(rng: random.Random, name: str, kind: str | None) -> str | None:
    """The name as typed into the source system, junk included."""
    words = name.split()
    index = rng.randrange(len(words))
    word = words[index]
    if kind == "digits":
        digits = str(rng.randint(1, 99999))
        if len(word) >= 4 and rng.random() < 0.5:
            cut = rng.randint(2, len(word) - 2)
            words[index] = f"{word[:cut]} {digits}{word[cut:]}"  # 'Mike Vitt 12313orini'
        else:
            words[index] = word + digits  # 'Gary567 Hansen'
    elif kind == "symbols":
        words[index] = word + "".join(rng.choices("@#$%&*!?", k=rng.randint(1, 4)))
    elif kind == "padding":
        lead, trail = rng.choice((("  _", ""), ("_", ""), ("", "_ "), (" ", "  "), ("__", "_"), ("  ", "")))
        return f"{lead}{name}{trail}"
    elif kind == "empty":
        return None
    return " ".join(words)


def _dirty_email(rng: random.Random, email: str, kind: str | None) -> str:
    local, domain = email.split("@")
    if kind == "no_at":
        return rng.choice((f"{local}{domain}", f"{local}.{domain}", f"{local} at {domain}"))
    if kind == "two_at":
        return rng.choice((f"{local}@@{domain}", f"{local}@{local}@{domain}"))
    if kind == "space":
        cut = rng.randint(1, len(email) - 1)
        return f"{email[:cut]} {email[cut:]}"
    return email


def _dirty_phone(rng: random.Random, phone: str, kind: str | None) -> str | int:
    """Faker's text formats, or what a spreadsheet made of them: numbers and error values."""
    if kind == "bare_int":
        # Mostly 10 digits; some lost leading digits along the way.
        return rng.randint(2_000_000_000, 9_999_999_999) if rng.random() < 0.75 else rng.randint(100_000, 999_999_999)
    if kind == "negative":
        # '830-775-6431' typed where a formula was expected: 830 - 775 - 6431 = -6376
        return rng.randint(200, 999) - rng.randint(200, 999) - rng.randint(1000, 9999)
    if kind == "error":
        return "#ERROR!"
    return phone


# --- products ----------------------------------------------------------------------------------


def _write_products(
    path: Path, layout: Layout, rng: random.Random, count: int, reference: ReferenceData, product_ids: ProductNumbers
) -> tuple[Catalogue, int]:
    """Write Products.csv, its rows shuffled; return the products order lines pick from and the number of rows."""
    with _RowSpool(path.parent) as spool:
        catalogue = _make_products(rng, count, reference, spool, layout, product_ids)
        order = array("I", range(len(spool)))
        rng.shuffle(order)  # rows of one product do not follow each other
        with path.open("wb") as handle:
            handle.write(_csv_record(layout.names).encode("utf-8"))
            spool.copy_to(handle, order)
        return catalogue, len(spool)


def _make_products(
    rng: random.Random, count: int, reference: ReferenceData, spool: _RowSpool, layout: Layout, product_ids: ProductNumbers
) -> Catalogue:
    """The products with the price order lines use; the rows of Products.csv go to ``spool`` in the
    order they are drawn."""
    categories = reference.categories
    sub_codes = list(SUB_CATEGORY_PROFILES)
    sub_weights = list(itertools.accumulate(profile.weight for profile in SUB_CATEGORY_PROFILES.values()))
    category_of = {sub: category for category, (_, subs) in categories.items() for sub in subs}
    name_kinds = _assign_kinds(rng, count, PRODUCT_NAME_KINDS)
    multi_row = _assign_kinds(rng, count, {"multi": MULTI_ROW_PRODUCT_SHARE})
    state_names = list(US_STATES)
    catalogue = Catalogue()
    for index in range(count):
        sub = rng.choices(sub_codes, cum_weights=sub_weights)[0]
        category = category_of[sub]
        category_name, sub_names = categories[category]
        product_id = product_ids.new_id(rng, category, sub)
        profile = SUB_CATEGORY_PROFILES[sub]
        name = _product_name(rng, profile, name_kinds[index])
        price = _unit_price(rng, profile.price_low, profile.price_high)
        catalogue.append(Product(product_id, sub, price))
        states = rng.sample(state_names, rng.randint(2, 3) if multi_row[index] else 1)
        for position, state in enumerate(states):
            row_name, row_price = name, price
            if position:  # the same product listed for another state, entered a little differently
                if rng.random() < 0.35:
                    row_name = _name_variant(rng, name)
                if rng.random() < 0.4:
                    row_price = round(price * rng.uniform(0.9, 1.1), 2)
            spool.add(layout.arrange((product_id, category_name, sub_names[sub], row_name, state, f"{row_price:.2f}")))
    return catalogue


def _product_name(rng: random.Random, profile: SubCategoryProfile, kind: str | None) -> str:
    """Brand, optional model, item; 'comma' adds ', <option>', 'inch_size' a size in inches."""
    brand, item = rng.choice(profile.brands), rng.choice(profile.items)
    roll = rng.random()
    if roll < 0.3:
        model = f" {rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}{rng.randint(100, 9999)}"
    elif roll < 0.45:
        model = f" {rng.randint(100, 9999)}"
    else:
        model = ""
    name = f"{brand}{model} {item}"
    if kind == "comma":
        return f"{name}, {rng.choice(profile.options)}"
    if kind == "inch_size":
        size = rng.choice(profile.sizes)
        return f"{name}, {size}" if rng.random() < 0.5 else f"{brand}{model} {size} {item}"
    return name


def _name_variant(rng: random.Random, name: str) -> str:
    """A slightly different spelling of the same product name."""
    variants = [name.replace(" ", "  ", 1), name.upper(), f"{name} "]
    if ", " in name:
        variants.append(name.replace(", ", " - ", 1))
    return rng.choice(variants)


def _unit_price(rng: random.Random, low: float, high: float) -> float:
    # Log-uniform: cheap items are far more common than expensive ones within a range.
    return round(math.exp(rng.uniform(math.log(low), math.log(high))), 2)


# --- orders ------------------------------------------------------------------------------------


def _order_lines(
    rng: random.Random, count: int, customer_ids: Sequence[str], catalogue: Catalogue, product_ids: ProductNumbers, reference: ReferenceData
) -> Iterator[tuple[object, ...]]:
    """Yield ``count`` order lines (values in ORDER_COLUMNS order), whole orders of 1-5 lines at a time."""
    days = [FIRST_ORDER_DATE + dt.timedelta(days=offset) for offset in range((LAST_ORDER_DATE - FIRST_ORDER_DATE).days + 1)]
    day_weights = list(itertools.accumulate(YEAR_GROWTH[day.year] * MONTH_SEASON[day.month - 1] for day in days))
    day_texts = [f"{day.day}/{day.month}/{day.year}" for day in days]
    ship_days = {mode: (fewest, reference.max_days_to_ship[mode]) for mode, (_, fewest) in SHIP_MODE_PROFILES.items()}
    ship_mode_of_order = _weighted_draw(rng, list(SHIP_MODE_PROFILES), weights=[share for share, _ in SHIP_MODE_PROFILES.values()])
    lines_of_order = _weighted_draw(rng, range(1, len(LINES_PER_ORDER_WEIGHTS) + 1), weights=LINES_PER_ORDER_WEIGHTS)
    quantity_of_line = _weighted_draw(rng, range(1, len(QUANTITY_WEIGHTS) + 1), weights=QUANTITY_WEIGHTS)
    discount_of_line = _weighted_draw(rng, DISCOUNTS, weights=DISCOUNT_WEIGHTS)
    orphans = _orphan_lines(rng, count, product_ids, reference)
    order_number = _order_numbers(rng, count)

    row_id = 1
    while row_id <= count:
        day_index = bisect.bisect_right(day_weights, rng.random() * day_weights[-1])
        year = days[day_index].year
        order_id = f"CA-{year}-{order_number(year)}"
        ship_mode = ship_mode_of_order()
        fewest, most = ship_days[ship_mode]
        order_date, ship_date = day_texts[day_index], _date_text(days[day_index] + dt.timedelta(days=rng.randint(fewest, most)))
        customer_id = rng.choice(customer_ids)
        for _ in range(min(lines_of_order(), count - row_id + 1)):
            product = orphans.get(row_id) or rng.choice(catalogue)
            quantity = quantity_of_line()
            discount = discount_of_line()
            price = round(product.price * quantity * (1 - discount), 2)
            profit = _profit(rng, product, quantity, discount)
            yield (row_id, order_id, order_date, ship_date, ship_mode, customer_id, product.product_id, quantity, price, discount, profit)
            row_id += 1


def _weighted_draw(rng: random.Random, population: Sequence[T], *, weights: Iterable[float]) -> Callable[[], T]:
    """``lambda: rng.choices(population, weights)[0]`` without its set-up on every call: the same
    bisection of the same cumulative weights, so the same draws, at a tenth of the cost."""
    cum_weights = list(itertools.accumulate(weights))
    population, total, hi, uniform = list(population), cum_weights[-1] + 0.0, len(cum_weights) - 1, rng.random
    return lambda: population[bisect.bisect(cum_weights, uniform() * total, 0, hi)]


def _date_text(day: dt.date) -> str:
    """``d/M/yyyy``, no zero padding: 21/8/2016."""
    return f"{day.day}/{day.month}/{day.year}"


def _order_numbers(rng: random.Random, count: int) -> Callable[[int], int]:
    """A function giving each new order of a year its number, unique within the year, without a
    record of the numbers used (a set of them would not fit at scale 1000).

    The n-th order of a year gets ``first + (start + n * step) mod size``: a permutation of the
    ``size`` numbers of ORDER_NUMBER_DIGITS digits (more when ``count`` orders would not fit), as
    ``step`` is coprime with ``size``. The start is random per year; a step near the golden ratio of
    the size gives neighbouring orders distant numbers.
    """
    digits = ORDER_NUMBER_DIGITS
    while 9 * 10 ** (digits - 1) < count:
        digits += 1
    first, size = 10 ** (digits - 1), 9 * 10 ** (digits - 1)
    step = round(size * (math.sqrt(5) - 1) / 2)
    while math.gcd(step, size) != 1:
        step += 1
    starts = {year: rng.randrange(size) for year in range(FIRST_ORDER_DATE.year, LAST_ORDER_DATE.year + 1)}
    issued = dict.fromkeys(starts, 0)

    def next_number(year: int) -> int:
        issued[year] += 1
        return first + (starts[year] + (issued[year] - 1) * step) % size

    return next_number


def _orphan_lines(rng: random.Random, count: int, product_ids: ProductNumbers, reference: ReferenceData) -> dict[int, Product]:
    """Row ID -> a product missing from Products.csv, for about 1% of the lines.

    Orphans come from small pools, as a discontinued product shows up on several orders; about a
    tenth carry a code outside the seeds.
    """
    rows = rng.sample(range(1, count + 1), min(count, max(1, round(ORPHAN_LINE_SHARE * count))))
    invalid_count = max(1, round(INVALID_CODE_SHARE * len(rows))) if len(rows) > 1 else 0
    valid_pool = [_orphan_product(rng, product_ids, reference, valid=True) for _ in range(max(1, (len(rows) - invalid_count) // 4))]
    invalid_pool = [_orphan_product(rng, product_ids, reference, valid=False) for _ in range(max(1, invalid_count // 3))]
    return {row: rng.choice(invalid_pool if position < invalid_count else valid_pool) for position, row in enumerate(rows)}


def _orphan_product(rng: random.Random, product_ids: ProductNumbers, reference: ReferenceData, *, valid: bool) -> Product:
    """A product with an ID of its own (so absent from Products.csv); ``valid`` picks a code the seeds list."""
    if valid:
        category = rng.choice(list(reference.categories))
        sub = rng.choice(list(reference.categories[category][1]))
    else:
        category, sub = rng.choice(INVALID_CODES)
    profile = SUB_CATEGORY_PROFILES.get(sub)
    price = _unit_price(rng, profile.price_low, profile.price_high) if profile else _unit_price(rng, 5, 500)
    return Product(product_ids.new_id(rng, category, sub), sub, price)


def _profit(rng: random.Random, product: Product, quantity: int, discount: float) -> float:
    """Profit of a line: the margin at list price minus the discount, so big discounts lose money."""
    profile = SUB_CATEGORY_PROFILES.get(product.sub_category)
    margin = min(0.6, rng.gauss(profile.margin if profile else 0.25, 0.1))
    profit = product.price * quantity * (margin - discount)
    return round(profit, 4) + 0.0  # + 0.0 turns -0.0 into 0.0


# --- shared helpers ----------------------------------------------------------------------------


def _unique(used: set[str], make: Callable[[], str]) -> str:
    """Call ``make`` until it returns a value not in ``used``; record that value and return it."""
    value = make()
    while value in used:
        value = make()
    used.add(value)
    return value


def _assign_kinds(rng: random.Random, count: int, shares: dict[str, float]) -> list[str | None]:
    """Give each kind its share of ``count`` positions (at least one each), on distinct positions."""
    kinds: list[str | None] = [None] * count
    positions = array("I", range(count))  # 4 bytes a position, shuffled in place as a list would be
    rng.shuffle(positions)
    start = 0
    for kind, share in shares.items():
        taken = max(1, round(share * count))
        for position in positions[start : start + taken]:
            kinds[position] = kind
        start += taken
    return kinds


# --- writers -----------------------------------------------------------------------------------


def _write_json_array(path: Path, layout: Layout, records: Iterable[Sequence[object]]) -> None:
    """Write one pretty-printed JSON array, record by record, to keep memory flat at large scales.

    The bytes are those of ``json.dump(list(records), indent=2)`` plus a final newline. The records
    are formatted here because json's indenting encoder is pure Python and twice as slow.
    """
    prefixes = [f"    {encode_basestring_ascii(name)}: " for name in layout.names]
    arrange, scalars = layout.arrange, _JSON_SCALARS
    with path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as handle:
        handle.write("[")
        separator = "\n  "
        for record in records:
            body = ",\n".join([prefix + scalars[type(value)](value) for prefix, value in zip(prefixes, arrange(record), strict=True)])
            handle.write(f"{separator}{{\n{body}\n  }}")
            separator = ",\n  "
        handle.write("\n]\n" if separator != "\n  " else "]\n")


def _csv_record(values: Iterable[object]) -> str:
    """One RFC 4180 record with its CRLF: fields with commas, quotes or line breaks are quoted."""
    buffer = _TextSink()
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(values)
    return buffer.text


class _TextSink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


class _RowSpool:
    """CSV records kept in an anonymous temporary file and copied out in any order, so that a file's
    rows are shuffled without holding them in memory (8 bytes per row stay: where each ends)."""

    def __init__(self, folder: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 -- closed by __exit__
        self._ends = array("Q")
        self._size = 0
        self._writer = csv.writer(self, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()

    def __len__(self) -> int:
        return len(self._ends)

    def write(self, text: str) -> None:  # what the csv writer writes to
        data = text.encode("utf-8")
        self._file.write(data)
        self._size += len(data)

    def add(self, row: Iterable[object]) -> None:
        self._writer.writerow(row)
        self._ends.append(self._size)

    def copy_to(self, target: IO[bytes], order: Iterable[int]) -> None:
        source, ends = self._file, self._ends
        source.flush()
        for index in order:
            start = ends[index - 1] if index else 0
            source.seek(start)
            target.write(source.read(ends[index] - start))


def _write_xlsx(path: Path, sheet_name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """One sheet: the workbook written by openpyxl (write-only, inline strings) with the header row,
    the data rows streamed into its sheet as the same XML openpyxl writes (``_sheet_row``, 10 times
    faster); workbook and zip timestamps pinned so the bytes are reproducible."""
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.created = WORKBOOK_TIMESTAMP
    workbook.properties.modified = WORKBOOK_TIMESTAMP
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(list(header))
    columns = [get_column_letter(index) for index in range(1, len(header) + 1)]
    with tempfile.TemporaryFile(dir=path.parent) as unpinned:
        # Workbook.save() would stamp 'modified' with the current time; the writer it wraps does not.
        ExcelWriter(workbook, zipfile.ZipFile(unpinned, "w", zipfile.ZIP_DEFLATED)).save()
        # openpyxl stamps every zip entry with the current time; copy the entries with a fixed one,
        # streamed, and the rows into the sheet's entry as they come.
        unpinned.seek(0)
        with zipfile.ZipFile(unpinned) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for entry in source.infolist():
                pinned = zipfile.ZipInfo(entry.filename, date_time=ZIP_ENTRY_TIME)
                pinned.compress_type = zipfile.ZIP_DEFLATED
                is_sheet = entry.filename.startswith("xl/worksheets/")
                with source.open(entry) as data, target.open(pinned, "w", force_zip64=is_sheet) as copy:
                    if not is_sheet:
                        shutil.copyfileobj(data, copy, 1 << 20)
                        continue
                    head, tail = data.read().split(b"</sheetData>")
                    copy.write(head)
                    for number, row in enumerate(rows, start=2):
                        if number > EXCEL_MAX_ROWS:
                            raise SampleDataError(f"{path.name}: more rows than a sheet holds ({EXCEL_MAX_ROWS:,}); write the customers as CSV")
                        copy.write(_sheet_row(number, columns, row).encode("utf-8"))
                    copy.write(b"</sheetData>" + tail)


def _sheet_row(number: int, columns: Sequence[str], values: Sequence[object]) -> str:
    """The XML openpyxl's write-only sheet writes for a row of text, whole numbers and empty cells."""
    cells = []
    for column, value in zip(columns, values, strict=True):
        if value is None:
            continue  # an empty cell is not written
        if isinstance(value, int) and not isinstance(value, bool):
            cells.append(f'<c r="{column}{number}" t="n"><v>{value}</v></c>')
        elif value == "":
            cells.append(f'<c r="{column}{number}" t="inlineStr" />')
        elif isinstance(value, str) and not value.startswith("=") and not _ILLEGAL_XML.search(value):
            text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            space = ' xml:space="preserve"' if value.strip() and value.strip() != value else ""
            cells.append(f'<c r="{column}{number}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        else:
            raise SampleDataError(f"the sample generator writes no cell like {value!r} (row {number}, column {column})")
    return f'<row r="{number}">{"".join(cells)}</row>'


generate = generate_sales_files  # the entry point samples.generator() looks for
