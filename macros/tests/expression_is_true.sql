{#- Fails for every row where the SQL expression is not true (false or null). Same name and
    arguments as dbt_utils.expression_is_true: on a column, the expression continues the column
    name (expression: ">= order_date"). -#}
{% test expression_is_true(model, expression, column_name=none) %}

    select *
    from {{ model }}
    where not coalesce({{ column_name ~ ' ' if column_name }}{{ expression }}, false)

{% endtest %}
