-- Profit per year (line profits rounded to 2 decimals before summing).
select
    order_year,
    profit
from {{ ref('profit_by_year') }}
order by 1
