-- The records of the current sales loads that were quarantined or are exact duplicates, one row
-- each, with the reason (versions replaced by a later increment are not: the base models keep
-- them): the three base models share their lineage columns, so one model stacks them.
{%- set sales_tables = ['orders', 'products', 'customers'] %}

with
{% for table in sales_tables %}
    {{ table }}_records as (

        select
            '{{ table }}' as source_table,
            source_file_name,
            raw_record,
            reason,
            source_position,
            record_status,
            loaded_at
        from {{ ref('base_sales__' ~ table) }}
        where record_status in ('quarantined', 'duplicate')

    ),
{% endfor %}

stacked as (
    {%- for table in sales_tables %}

        select * from {{ table }}_records
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        source_table,
        source_file_name,
        raw_record,
        reason,
        source_position,
        record_status = 'duplicate' as is_exact_duplicate,
        loaded_at
    from stacked

)

select * from final
