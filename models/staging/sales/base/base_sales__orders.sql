-- Every record of the current loads of bronze orders, with the rule across loads: a version that a
-- later load (an increment) delivers again is replaced.
{{ checked_records_across_loads('sales', 'orders', ref('base_sales__orders_by_load')) }}
