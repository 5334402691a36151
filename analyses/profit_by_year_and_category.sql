-- Profit per year and product category, from the curated order lines.
select
    order_year,
    category,
    sum(profit) as profit
from {{ ref('fct_order_lines') }}
group by 1, 2
order by 1, 2
