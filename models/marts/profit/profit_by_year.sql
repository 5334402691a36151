with

order_lines as (

    select
        order_year,
        profit
    from {{ ref('fct_order_lines') }}

),

aggregated as (

    select
        order_year,
        sum(profit) as profit,
        count(*) as order_line_count
    from order_lines
    group by 1

)

select * from aggregated
