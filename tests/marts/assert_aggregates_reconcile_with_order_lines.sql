-- Every profit aggregate must add up to exactly the profit, and the line count, of
-- fct_order_lines: no line lost or counted twice on the way. Returns one row per aggregate that
-- does not reconcile.
with

order_lines as (

    select
        sum(profit) as profit,
        count(*) as order_line_count
    from {{ ref('fct_order_lines') }}

),

aggregate_totals as (
    {%- for aggregate in ['profit_by_year', 'profit_by_category', 'profit_by_sub_category', 'profit_by_customer'] %}

        select
            '{{ aggregate }}' as aggregate_name,
            sum(profit) as profit,
            sum(order_line_count) as order_line_count
        from {{ ref(aggregate) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select
    aggregate_totals.aggregate_name,
    aggregate_totals.profit as aggregate_profit,
    order_lines.profit as order_lines_profit,
    aggregate_totals.order_line_count as aggregate_line_count,
    order_lines.order_line_count as order_lines_line_count
from aggregate_totals
cross join order_lines
where
    aggregate_totals.profit != order_lines.profit
    or aggregate_totals.order_line_count != order_lines.order_line_count
