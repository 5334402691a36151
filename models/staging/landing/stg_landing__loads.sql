-- One row per delivered file of each load of every source system, from the load log that
-- landing writes after committing a load. A table's current load is its newest (by load_id):
-- the one its bronze table reads. A table, not a view: a published version must not change when
-- the next delivery lands (silver's views read only their version's tables).
{{ config(materialized='table') }}

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
        loaded_at
    from {{ source('landing', 'loads') }}

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
        load_id = max(load_id) over (partition by source_system, source_table) as is_current_load,
        loaded_at
    from load_log

)

select * from current_loads_marked
