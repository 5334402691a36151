-- One row per record of bronze customers, typed and checked within its load against its
-- declaration in _sales__sources.yml. Incremental: a build after an increment checks the new loads alone.
{{ config(meta={'incremental_on': ['sales.customers']}) }}
{{ checked_source_records('sales', 'customers') }}
