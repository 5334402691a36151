-- One row per record of bronze orders, typed and checked within its load against its declaration
-- in _sales__sources.yml. Incremental: a build after an increment checks the new loads alone.
{{ config(meta={'incremental_on': ['sales.orders']}) }}
{{ checked_source_records('sales', 'orders') }}
