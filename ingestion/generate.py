"""Generate a sample sales delivery: ``Orders.json``, ``Products.csv`` and ``Customer.xlsx`` (or ``.csv``).

The files follow the source contract (``ingestion.contract``) and carry the dirt a real extract
has: junk in customer names, invalid emails, phones Excel turned into numbers, products listed
once per state, order lines pointing at products missing from the product file. Every kind of
dirt is assigned by quota, so even a small scale holds each kind at least once.

Same seed and scale give byte-identical files: all randomness comes from one ``random.Random``
and one seeded ``Faker``, and the workbook's timestamps are pinned.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import itertools
import logging
import math
import random
import string
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import NamedTuple

import openpyxl
from faker import Faker
from openpyxl.writer.excel import ExcelWriter

from ingestion.contract import CUSTOMERS, ORDERS, PRODUCTS, SourceTable

log = logging.getLogger(__name__)

# Sizes at scale 1; all three grow linearly with the scale.
LINES_PER_SCALE = 10_000
CUSTOMERS_PER_SCALE = 800
PRODUCTS_PER_SCALE = 1_500

# The only valid product codes: category code -> (category, {sub-category code -> sub-category}).
CATEGORIES: dict[str, tuple[str, dict[str, str]]] = {
    "FUR": ("Furniture", {"BO": "Bookcases", "CH": "Chairs", "FU": "Furnishings", "TA": "Tables"}),
    "OFF": (
        "Office Supplies",
        {
            "AP": "Appliances", "AR": "Art", "BI": "Binders", "EN": "Envelopes", "FA": "Fasteners",
            "LA": "Labels", "PA": "Paper", "ST": "Storage", "SU": "Supplies",
        },
    ),
    "TEC": ("Technology", {"AC": "Accessories", "CO": "Copiers", "MA": "Machines", "PH": "Phones"}),
}

# Codes outside CATEGORIES for the order lines whose product code is wrong, not just unknown.
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


# Keyed by sub-category code (unique across categories).
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

# US states: name -> (postal abbreviation, sales region, population in millions as a sampling weight).
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

SEGMENTS = ("Consumer", "Corporate", "Home Office")
SEGMENT_WEIGHTS = (50, 30, 20)

# Ship mode -> (share of orders in %, fewest and most days between order and shipping).
SHIP_MODES: dict[str, tuple[int, int, int]] = {
    "Standard Class": (60, 4, 7),
    "Second Class": (20, 2, 5),
    "First Class": (15, 1, 3),
    "Same Day": (5, 0, 0),
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
INVALID_CODE_SHARE = 0.1  # of those, the ones whose product code is not in CATEGORIES either
MULTI_ROW_PRODUCT_SHARE = 0.15  # product IDs listed on 2-3 rows (one per state)

# Share of customers / products carrying each kind of dirt (kinds are exclusive within a field).
NAME_DIRT = {"digits": 0.04, "symbols": 0.02, "padding": 0.02, "empty": 0.01, "non_ascii": 0.03}
EMAIL_DIRT = {"no_at": 0.01, "two_at": 0.01, "space": 0.01}
PHONE_DIRT = {"bare_int": 0.08, "negative": 0.02, "error": 0.02}
PRODUCT_NAME_KINDS = {"inch_size": 0.08, "comma": 0.30}

# Legitimate names with letters outside ASCII; every combination has at least one such letter.
NON_ASCII_FIRST_NAMES = (
    "Zoë", "José", "Renée", "Chloé", "Jürgen", "Søren", "Anaïs", "Björn", "Noémie", "François", "Inês", "Tomás",
)
NON_ASCII_LAST_NAMES = (
    "Bühler", "Núñez", "O'Brien-Smith", "Müller", "Gonçalves", "Çelik", "Dvořák", "Jiménez", "Sánchez", "Lefèvre",
    "Åberg", "Šimek",
)

# How json.dumps writes each scalar type the order lines hold.
_JSON_SCALARS = {str: encode_basestring_ascii, int: int.__repr__, float: float.__repr__}

# A fixed workbook timestamp (and zip entry time) so the .xlsx bytes depend on the data only.
WORKBOOK_TIMESTAMP = dt.datetime(2025, 1, 1)
ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


class Customer(NamedTuple):
    customer_id: str
    record: dict[str, object]  # source name -> cell value


class Product(NamedTuple):
    product_id: str
    sub_category: str
    price: float  # the price order lines are billed at


def generate_sales_files(out_dir: Path, *, scale: float = 1.0, seed: int = 42, customer_format: str = "xlsx") -> dict[str, Path]:
    """Write a sample delivery to ``out_dir`` and return the path of each table's file.

    ``scale`` 1 gives 10,000 order lines, about 800 customers and 1,500 product IDs; all grow
    linearly. ``customer_format`` is ``"xlsx"`` (``Customer.xlsx``) or ``"csv"`` (``Customer.csv``).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if customer_format not in ("xlsx", "csv"):
        raise ValueError(f"customer_format must be 'xlsx' or 'csv', got {customer_format!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)

    n_lines = max(1, round(LINES_PER_SCALE * scale))
    customers = _make_customers(rng, fake, max(1, round(CUSTOMERS_PER_SCALE * scale)), as_csv=customer_format == "csv")
    products, product_rows = _make_products(rng, max(1, round(PRODUCTS_PER_SCALE * scale)))

    paths = {
        "orders": out_dir / "Orders.json",
        "products": out_dir / "Products.csv",
        "customers": out_dir / f"Customer.{customer_format}",
    }
    if customer_format == "xlsx":
        _write_customers_xlsx(paths["customers"], [customer.record for customer in customers])
    else:
        _write_csv(paths["customers"], CUSTOMERS, [customer.record for customer in customers], encoding="utf-8-sig")
    _write_csv(paths["products"], PRODUCTS, product_rows, encoding="utf-8")
    lines = _order_lines(rng, n_lines, [customer.customer_id for customer in customers], products)
    _write_json_array(paths["orders"], lines)
    log.info(
        "generated %d order lines, %d customers, %d products (%d rows) in %s",
        n_lines, len(customers), len(products), len(product_rows), out_dir,
    )
    return paths


# --- customers ---------------------------------------------------------------------------------


def _make_customers(rng: random.Random, fake: Faker, count: int, *, as_csv: bool) -> list[Customer]:
    """One record per customer, with cell values for a workbook or, ``as_csv``, for a CSV file."""
    name_dirt = _assign_kinds(rng, count, NAME_DIRT)
    email_dirt = _assign_kinds(rng, count, EMAIL_DIRT)
    phone_dirt = _assign_kinds(rng, count, PHONE_DIRT)
    state_names = list(US_STATES)
    state_weights = list(itertools.accumulate(weight for _, _, weight in US_STATES.values()))
    used_ids: set[str] = set()
    customers = []
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
        values = {
            "customer_id": customer_id,
            "customer_name": "" if name is None and as_csv else name,
            "email": _dirty_email(rng, fake.email(), email_dirt[index]),
            "phone": _dirty_phone(rng, fake.phone_number(), phone_dirt[index]),
            "address": f"{fake.street_address()}\n{city}, {abbreviation} {postal_code}",
            "segment": rng.choices(SEGMENTS, weights=SEGMENT_WEIGHTS)[0],
            "country": "United States",
            "city": city,
            "state": state,
            # A numeric cell, as Excel keeps it: ZIP codes starting with 0 (New England, New Jersey)
            # lose that digit in the workbook; the CSV keeps the five digits of the text.
            "postal_code": postal_code if as_csv else int(postal_code),
            "region": region,
        }
        customers.append(Customer(customer_id, _in_contract_order(CUSTOMERS, values)))
    return customers


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


def _make_products(rng: random.Random, count: int) -> tuple[list[Product], list[dict[str, object]]]:
    """The product IDs with the price order lines use, and the shuffled rows of Products.csv."""
    sub_codes = list(SUB_CATEGORY_PROFILES)
    sub_weights = list(itertools.accumulate(profile.weight for profile in SUB_CATEGORY_PROFILES.values()))
    category_of = {sub: category for category, (_, subs) in CATEGORIES.items() for sub in subs}
    name_kinds = _assign_kinds(rng, count, PRODUCT_NAME_KINDS)
    multi_row = _assign_kinds(rng, count, {"multi": MULTI_ROW_PRODUCT_SHARE})
    state_names = list(US_STATES)
    used_ids: set[str] = set()
    products, rows = [], []
    for index in range(count):
        sub = rng.choices(sub_codes, cum_weights=sub_weights)[0]
        category = category_of[sub]
        product_id = _new_product_id(rng, category, sub, used_ids)
        profile = SUB_CATEGORY_PROFILES[sub]
        name = _product_name(rng, profile, name_kinds[index])
        price = _unit_price(rng, profile.price_low, profile.price_high)
        products.append(Product(product_id, sub, price))
        states = rng.sample(state_names, rng.randint(2, 3) if multi_row[index] else 1)
        for position, state in enumerate(states):
            row_name, row_price = name, price
            if position:  # the same product listed for another state, entered a little differently
                if rng.random() < 0.35:
                    row_name = _name_variant(rng, name)
                if rng.random() < 0.4:
                    row_price = round(price * rng.uniform(0.9, 1.1), 2)
            values = {
                "product_id": product_id,
                "category": CATEGORIES[category][0],
                "sub_category": CATEGORIES[category][1][sub],
                "product_name": row_name,
                "state": state,
                "price_per_product": f"{row_price:.2f}",
            }
            rows.append(_in_contract_order(PRODUCTS, values))
    rng.shuffle(rows)
    return products, rows


def _new_product_id(rng: random.Random, category: str, sub: str, used: set[str]) -> str:
    """A product ID like ``FUR-CH-10002961`` not yet in ``used``; records it there."""
    return _unique(used, lambda: f"{category}-{sub}-{rng.randint(10_000_000, 10_999_999)}")


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


def _order_lines(rng: random.Random, count: int, customer_ids: Sequence[str], products: Sequence[Product]) -> Iterator[dict[str, object]]:
    """Yield ``count`` order lines (as JSON objects), whole orders of 1-5 lines at a time."""
    days = [FIRST_ORDER_DATE + dt.timedelta(days=offset) for offset in range((LAST_ORDER_DATE - FIRST_ORDER_DATE).days + 1)]
    day_weights = list(itertools.accumulate(YEAR_GROWTH[day.year] * MONTH_SEASON[day.month - 1] for day in days))
    ship_modes = list(SHIP_MODES)
    ship_weights = [share for share, _, _ in SHIP_MODES.values()]
    line_counts = range(1, len(LINES_PER_ORDER_WEIGHTS) + 1)
    quantities = range(1, len(QUANTITY_WEIGHTS) + 1)
    quantity_weights = list(itertools.accumulate(QUANTITY_WEIGHTS))
    discount_weights = list(itertools.accumulate(DISCOUNT_WEIGHTS))
    orphans = _orphan_lines(rng, count, products)
    order_ids: set[str] = set()

    row_id = 1
    while row_id <= count:
        day = days[bisect.bisect_right(day_weights, rng.random() * day_weights[-1])]
        order_id = _unique(order_ids, lambda: f"CA-{day.year}-{rng.randint(100000, 999999)}")
        ship_mode = rng.choices(ship_modes, weights=ship_weights)[0]
        _, fewest, most = SHIP_MODES[ship_mode]
        ship_day = day + dt.timedelta(days=rng.randint(fewest, most))
        customer_id = rng.choice(customer_ids)
        for _ in range(min(rng.choices(line_counts, weights=LINES_PER_ORDER_WEIGHTS)[0], count - row_id + 1)):
            product = orphans.get(row_id) or rng.choice(products)
            quantity = rng.choices(quantities, cum_weights=quantity_weights)[0]
            discount = rng.choices(DISCOUNTS, cum_weights=discount_weights)[0]
            values = {
                "row_id": row_id,
                "order_id": order_id,
                "order_date": f"{day.day}/{day.month}/{day.year}",
                "ship_date": f"{ship_day.day}/{ship_day.month}/{ship_day.year}",
                "ship_mode": ship_mode,
                "customer_id": customer_id,
                "product_id": product.product_id,
                "quantity": quantity,
                "price": round(product.price * quantity * (1 - discount), 2),
                "discount": discount,
                "profit": _profit(rng, product, quantity, discount),
            }
            yield _in_contract_order(ORDERS, values)
            row_id += 1


def _orphan_lines(rng: random.Random, count: int, products: Sequence[Product]) -> dict[int, Product]:
    """Row ID -> a product missing from Products.csv, for about 1% of the lines.

    Orphans come from small pools, as a discontinued product shows up on several orders; about a
    tenth carry a code outside CATEGORIES.
    """
    known = {product.product_id for product in products}
    rows = rng.sample(range(1, count + 1), min(count, max(1, round(ORPHAN_LINE_SHARE * count))))
    invalid_count = max(1, round(INVALID_CODE_SHARE * len(rows))) if len(rows) > 1 else 0
    valid_pool = [_orphan_product(rng, known, valid=True) for _ in range(max(1, (len(rows) - invalid_count) // 4))]
    invalid_pool = [_orphan_product(rng, known, valid=False) for _ in range(max(1, invalid_count // 3))]
    return {
        row: rng.choice(invalid_pool if position < invalid_count else valid_pool)
        for position, row in enumerate(rows)
    }


def _orphan_product(rng: random.Random, known: set[str], *, valid: bool) -> Product:
    """A product not in ``known`` (so absent from Products.csv); ``valid`` picks a code in CATEGORIES."""
    if valid:
        category = rng.choice(list(CATEGORIES))
        sub = rng.choice(list(CATEGORIES[category][1]))
    else:
        category, sub = rng.choice(INVALID_CODES)
    profile = SUB_CATEGORY_PROFILES.get(sub)
    price = _unit_price(rng, profile.price_low, profile.price_high) if profile else _unit_price(rng, 5, 500)
    return Product(_new_product_id(rng, category, sub, known), sub, price)


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
    positions = list(range(count))
    rng.shuffle(positions)
    start = 0
    for kind, share in shares.items():
        taken = max(1, round(share * count))
        for position in positions[start:start + taken]:
            kinds[position] = kind
        start += taken
    return kinds


def _in_contract_order(table: SourceTable, values: dict[str, object]) -> dict[str, object]:
    """Map bronze column names to the table's source names, in contract order (KeyError on drift)."""
    return {field.source_name: values[field.column] for field in table.fields}


# --- writers -----------------------------------------------------------------------------------


def _write_json_array(path: Path, records: Iterable[dict[str, object]]) -> None:
    """Write one pretty-printed JSON array, record by record, to keep memory flat at large scales.

    The bytes are those of ``json.dump(list(records), indent=2)`` plus a final newline. The records
    are formatted here because json's indenting encoder is pure Python and twice as slow.
    """
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("[")
        separator = "\n  "
        for record in records:
            body = ",\n".join(f"    {encode_basestring_ascii(key)}: {_JSON_SCALARS[type(value)](value)}" for key, value in record.items())
            handle.write(f"{separator}{{\n{body}\n  }}")
            separator = ",\n  "
        handle.write("\n]\n" if separator != "\n  " else "]\n")


def _write_csv(path: Path, table: SourceTable, rows: Sequence[dict[str, object]], *, encoding: str) -> None:
    """RFC 4180 CSV with CRLF line ends; fields with commas, quotes or line breaks are quoted."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(table.source_names)
        writer.writerows(row.values() for row in rows)


def _write_customers_xlsx(path: Path, rows: Sequence[dict[str, object]]) -> None:
    """One sheet 'Customers'; workbook and zip timestamps pinned so the bytes are reproducible."""
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.created = WORKBOOK_TIMESTAMP
    workbook.properties.modified = WORKBOOK_TIMESTAMP
    sheet = workbook.create_sheet("Customers")
    sheet.append(CUSTOMERS.source_names)
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    # Workbook.save() would stamp 'modified' with the current time; the writer it wraps does not.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    # openpyxl stamps every zip entry with the current time; rewrite the entries with a fixed one.
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            pinned = zipfile.ZipInfo(entry.filename, date_time=ZIP_ENTRY_TIME)
            target.writestr(pinned, source.read(entry), compress_type=zipfile.ZIP_DEFLATED)
