with

order_lines as (

    select
        customer_id,
        customer_name,
        profit
    from {{ ref('fct_order_lines') }}

),

aggregated as (

    select
        customer_id,
        customer_name,
        sum(profit) as profit,
        count(*) as order_line_count
    from order_lines
    group by 1, 2

)

select * from aggregated
