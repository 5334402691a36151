{#- Text to date with an explicit pattern. Text that does not match becomes null rather than
    failing the query (ANSI mode, the default on Databricks, would raise), so that a not_null
    test can report the offending rows. -#}
{% macro parse_date(column, pattern) -%}
    cast(try_to_timestamp(trim({{ column }}), '{{ pattern }}') as date)
{%- endmacro %}
