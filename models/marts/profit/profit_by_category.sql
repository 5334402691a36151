with

order_lines as (

    select
        category,
        profit
    from {{ ref('fct_order_lines') }}

),

aggregated as (

    select
        category,
        sum(profit) as profit,
        count(*) as order_line_count
    from order_lines
    group by 1

)

select * from aggregated
