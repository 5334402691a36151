-- Every record of the current loads of bronze customers, with the rule across loads: a version that a
-- later load (an increment) delivers again is replaced.
{{ checked_records_across_loads('sales', 'customers', ref('base_sales__customers_by_load')) }}
