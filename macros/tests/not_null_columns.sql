{#- Fails with one row per listed column that holds nulls: the column's name and how many rows.
    The not-null checks of a model in one scan, as one test: 105 column-level `not_null` tests
    were 105 queries, two thirds of a build's tests (BENCHMARKS.md). -#}
{% test not_null_columns(model, columns) %}

    with

    null_counts as (

        select
            {%- for column in columns %}
            count_if({{ adapter.quote(column) }} is null) as null_rows_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}

    ),

    per_column as (

        select
            stack(
                {{ columns | length }},
                {%- for column in columns %}
                {{ sql_text(column) }}, null_rows_{{ loop.index }}{{ ',' if not loop.last }}
                {%- endfor %}
            ) as (column_name, null_rows)
        from null_counts

    )

    select * from per_column
    where null_rows > 0

{% endtest %}
