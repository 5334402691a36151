-- One row per load of a sales table that a build has seen, with its accounting. The bronze
-- tables and sales_load_accounting show only the current loads; this table keeps every one:
-- each build adds the loads it has not recorded yet (append on Spark; merge on the key on
-- Databricks, where re-runs update in place). Loads without records are recorded too.
{{ config(materialized='incremental', unique_key=['source_table', 'load_id'], on_schema_change='append_new_columns') }}

with

load_accounting as (

    select
        source_table,
        load_id,
        delivery,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_duplicate,
        rows_replaced,
        rows_repeated,
        loaded_at
    from {{ ref('sales_load_accounting') }}

),

new_loads as (

    select *
    from load_accounting
    {% if is_incremental() %}
        where not exists (
                select 1
                from {{ this }} as recorded
                where
                    recorded.source_table = load_accounting.source_table
                    and recorded.load_id = load_accounting.load_id
            )
    {% endif %}

)

select * from new_loads
