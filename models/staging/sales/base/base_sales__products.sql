-- Every record of the current loads of bronze products, with the rule across loads: a version that a
-- later load (an increment) delivers again is replaced.
{{ checked_records_across_loads('sales', 'products', ref('base_sales__products_by_load')) }}
