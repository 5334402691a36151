-- Profit per customer, most profitable first (line profits rounded to 2 decimals before summing).
select
    customer_id,
    customer_name,
    profit
from {{ ref('profit_by_customer') }}
order by 3 desc, 1 asc
