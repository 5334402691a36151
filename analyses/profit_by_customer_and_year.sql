-- Profit per customer and year, from the curated order lines.
select
    customer_id,
    customer_name,
    order_year,
    sum(profit) as profit
from {{ ref('fct_order_lines') }}
group by 1, 2, 3
order by 1, 2, 3
