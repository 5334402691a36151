-- One row per table and load that a build has seen: how many records each delivery brought,
-- loaded and quarantined. Incremental, so the history outlives the bronze tables, which only
-- show the latest delivery: each build adds the current loads it has not recorded yet
-- (append on Spark; merge on the key on Databricks, where re-runs update in place).
with

order_lines as (

    select
        source_file_name,
        loaded_at
    from {{ ref('stg_sales__orders') }}

),

products as (

    select
        source_file_name,
        loaded_at
    from {{ ref('stg_sales__products') }}

),

customers as (

    select
        source_file_name,
        loaded_at
    from {{ ref('stg_sales__customers') }}

),

quarantined_records as (

    select
        source_table,
        source_file_name,
        is_exact_duplicate,
        loaded_at
    from {{ ref('stg_sales__quarantined_records') }}

),

loaded_counts as (

    select
        'orders' as source_table,
        source_file_name,
        loaded_at,
        count(*) as rows_loaded
    from order_lines
    group by 1, 2, 3
    union all
    select
        'products' as source_table,
        source_file_name,
        loaded_at,
        count(*) as rows_loaded
    from products
    group by 1, 2, 3
    union all
    select
        'customers' as source_table,
        source_file_name,
        loaded_at,
        count(*) as rows_loaded
    from customers
    group by 1, 2, 3

),

quarantined_counts as (

    select
        source_table,
        loaded_at,
        count_if(not is_exact_duplicate) as rows_quarantined,
        count_if(is_exact_duplicate) as rows_duplicate
    from quarantined_records
    group by 1, 2

),

loads as (

    select
        loaded_counts.source_table,
        loaded_counts.source_file_name,
        loaded_counts.rows_loaded,
        coalesce(quarantined_counts.rows_quarantined, 0) as rows_quarantined,
        coalesce(quarantined_counts.rows_duplicate, 0) as rows_duplicate,
        loaded_counts.rows_loaded
        + coalesce(quarantined_counts.rows_quarantined, 0)
        + coalesce(quarantined_counts.rows_duplicate, 0) as rows_read,
        loaded_counts.loaded_at
    from loaded_counts
    left join quarantined_counts
        on
            loaded_counts.source_table = quarantined_counts.source_table
            and loaded_counts.loaded_at = quarantined_counts.loaded_at

),

-- a build records only the loads this table has not seen yet
new_loads as (

    select *
    from loads
    {% if is_incremental() %}
        where not exists (
                select 1
                from {{ this }} as recorded
                where
                    recorded.source_table = loads.source_table
                    and recorded.loaded_at = loads.loaded_at
            )
    {% endif %}

)

select * from new_loads
