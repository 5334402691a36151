"""The phone rule against raw input: the phone of every customer of the delivered customer file,
normalised by an independent Python implementation of the documented rule (reference.py), must be
what gold.dim_customers shows. Replaces a dbt test that restated the model's own expression
(``has_valid_phone = (phone_number is not null)``), which could not fail."""

from __future__ import annotations

import pandas as pd

from pipeline_tests.reference import normalised_phone


def delivered_phones(build: dict) -> dict[str, object]:
    """Customer ID -> the phone as delivered, text as in the file (the current delivery has Customer.csv)."""
    customers = pd.read_csv(build["delivery"] / "Customer.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return {customer_id.strip().upper(): phone or None for customer_id, phone in zip(customers["Customer ID"], customers["phone"], strict=True)}


def test_the_delivery_holds_every_kind_of_phone(build: dict) -> None:
    # without these, the comparison below would not exercise the rule
    phones = [phone for phone in delivered_phones(build).values() if phone]
    expected = [normalised_phone(phone) for phone in phones]
    assert any(number and extension for number, extension in expected)  # an extension split off
    assert any(number and not extension for number, extension in expected)
    assert "#ERROR!" in phones
    assert any(phone.startswith("-") for phone in phones)  # a negative number from a spreadsheet
    assert any(phone.isdigit() and len(phone) < 10 for phone in phones)  # a number that lost digits
    assert any(phone.isdigit() and len(phone) == 10 for phone in phones)  # a bare number that is fine


def test_dim_customers_phones_follow_the_documented_rule(build: dict) -> None:
    expected = {}
    for customer_id, phone in delivered_phones(build).items():
        number, extension = normalised_phone(phone)
        expected[customer_id] = (number, extension, number is not None)
    gold = build["spark"].table("gold.dim_customers").select("customer_id", "phone_number", "phone_extension", "has_valid_phone").collect()
    actual = {row.customer_id: (row.phone_number, row.phone_extension, row.has_valid_phone) for row in gold}
    assert actual == expected
