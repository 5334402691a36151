-- One row per current load of each sales table: the records landing read (its load log) and
-- what the record rules made of them (the base models). Tested: read = loaded + quarantined +
-- duplicates + replaced (by a later increment), and the quarantined share within
-- var('max_quarantine_share'). A table: its tests and the load history read it, and counting
-- repeat lines groups every loaded record with those sharing its business line.
{{ config(materialized='table') }}
{%- set sales_tables = ['orders', 'products', 'customers'] %}

with

current_load_files as (

    select
        source_table,
        load_id,
        delivery,
        rows_read,
        loaded_at
    from {{ ref('stg_landing__loads') }}
    where source_system = 'sales' and is_current_load

),
{% for table in sales_tables %}
    {{ table }}_records as (

        select
            '{{ table }}' as source_table,
            record_status,
            business_digest,
            loaded_at
        from {{ ref('base_sales__' ~ table) }}

    ),
{% endfor %}

records as (
    {%- for table in sales_tables %}

        select * from {{ table }}_records
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

current_loads as (

    select
        source_table,
        load_id,
        delivery,
        sum(rows_read) as rows_read,
        loaded_at
    from current_load_files
    group by 1, 2, 3, 5

),

-- a repeat line: a loaded record whose business line (everything but the key) is on another loaded
-- record of its table, under a distinct key (a repeat purchase, say)
records_marked as (

    select
        source_table,
        record_status,
        record_status = 'loaded'
        and business_digest is not null
        and count_if(record_status = 'loaded') over (partition by source_table, business_digest) > 1 as is_repeat_line,
        loaded_at
    from records

),

record_counts as (

    select
        source_table,
        loaded_at,
        count_if(record_status = 'loaded') as rows_loaded,
        count_if(record_status = 'quarantined') as rows_quarantined,
        count_if(record_status = 'duplicate') as rows_duplicate,
        count_if(record_status = 'replaced') as rows_replaced,
        count_if(is_repeat_line) as rows_repeated
    from records_marked
    group by 1, 2

),

-- a load without records (a header-only file, say) still gets its row, with zeros
accounted as (

    select
        current_loads.source_table,
        current_loads.load_id,
        current_loads.delivery,
        current_loads.rows_read,
        coalesce(record_counts.rows_loaded, 0) as rows_loaded,
        coalesce(record_counts.rows_quarantined, 0) as rows_quarantined,
        coalesce(record_counts.rows_duplicate, 0) as rows_duplicate,
        coalesce(record_counts.rows_replaced, 0) as rows_replaced,
        coalesce(record_counts.rows_repeated, 0) as rows_repeated,
        current_loads.loaded_at
    from current_loads
    left join record_counts
        on
            current_loads.source_table = record_counts.source_table
            and current_loads.loaded_at = record_counts.loaded_at

)

select * from accounted
