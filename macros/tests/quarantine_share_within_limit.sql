{#- Fails for every load whose quarantined records exceed max_share of the records read (the
    rule that used to refuse a whole file in landing). The failing rows name the table and the
    load, and when the test runs they are logged too, so the build output says which table. -#}
{% test quarantine_share_within_limit(model, max_share=none) %}
    {%- set limit = (var('max_quarantine_share') if max_share is none else max_share) | string | trim -%}
    {%- if not modules.re.fullmatch('(0(\\.[0-9]+)?|1(\\.0+)?|\\.[0-9]+)', limit) -%}
        {{ exceptions.raise_compiler_error("quarantine_share_within_limit: max_quarantine_share must be a number from 0 to 1, got '" ~ limit ~ "'") }}
    {%- endif -%}
    {%- set failing_loads -%}
        select
            source_table,
            load_id,
            rows_read,
            rows_quarantined,
            try_divide(rows_quarantined, rows_read) as quarantined_share,
            {{ limit }} as max_quarantine_share,
            concat(
                source_table, ' load ', load_id, ': ', rows_quarantined, ' of ', rows_read,
                ' records quarantined (', format_number(try_divide(100.0 * rows_quarantined, rows_read), 1),
                '%), above max_quarantine_share ', '{{ limit }}'
            ) as failure
        from {{ model }}
        where rows_quarantined > rows_read * {{ limit }}
    {%- endset -%}
    {%- if execute and flags.WHICH in ('build', 'test', 'retry') -%}
        {%- for row in run_query(failing_loads) -%}
            {{ log(model.identifier ~ ': ' ~ row['failure'], info=true) }}
        {%- endfor -%}
    {%- endif %}

    {{ failing_loads }}

{% endtest %}
