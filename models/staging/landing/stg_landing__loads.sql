-- One row per delivered file of each load of every source system, from the load log that
-- landing writes after committing a load. A table's current loads are the ones its bronze table
-- reads: its newest full load and every increment after it, each delivery by its newest load
-- only (macros/current_loads.sql, the rule of ingestion.land.current_loads). A table, not a
-- view: a published version must not change when the next delivery lands (silver's views read
-- only their version's tables).
{{ config(materialized='table') }}

{{ current_loads_sql(source('landing', 'loads')) }}
