-- One row per record of bronze orders, typed and checked against its declaration in _sales__sources.yml.
{{ checked_source_records('sales', 'orders') }}
