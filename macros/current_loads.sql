{#- The load log with each table's current loads marked (is_current_load): its newest full load
    and every increment after it, each delivery by its newest load only (the rule of
    ingestion.land.current_loads). `load_log_relation` is the relation of the landing.loads source. Used by
    stg_landing__loads and by the carry-over of incremental models (macros/incremental_carry_over.sql). -#}
{% macro current_loads_sql(load_log_relation) -%}
with

load_log as (

    select
        source_system,
        source_table,
        load_id,
        delivery,
        source_file,
        file_sha256,
        rows_read,
        -- load logs written before increments existed hold full loads
        coalesce(load_kind, 'full') as load_kind,
        loaded_at
    from {{ load_log_relation }}

),

-- a delivery landed again with changed files: its newest load replaces the earlier ones
newest_of_delivery_marked as (

    select
        *,
        load_id = max(load_id) over (partition by source_system, source_table, delivery) as is_newest_of_delivery
    from load_log

),

newest_full_load_found as (

    select
        *,
        max(case when is_newest_of_delivery and load_kind = 'full' then load_id end)
            over (partition by source_system, source_table) as newest_full_load_id
    from newest_of_delivery_marked

),

current_loads_marked as (

    select
        source_system,
        source_table,
        load_id,
        delivery,
        source_file as source_file_name,
        file_sha256,
        rows_read,
        load_kind,
        is_newest_of_delivery and load_id >= coalesce(newest_full_load_id, '') as is_current_load,
        loaded_at
    from newest_full_load_found

)

select * from current_loads_marked
{%- endmacro %}
