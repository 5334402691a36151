-- One row per record of bronze products, typed and checked against its declaration in _sales__sources.yml.
{{ checked_source_records('sales', 'products') }}
