with

source as (

    select * from {{ source('sales', 'orders') }}

),

typed as (

    select
        trim(row_id) as order_line_id,
        upper(trim(order_id)) as order_id,
        upper(trim(customer_id)) as customer_id,
        upper(trim(product_id)) as product_id,
        trim(ship_mode) as ship_mode,
        try_cast(trim(quantity) as int) as quantity,
        try_cast(trim(price) as decimal(18, 4)) as sales_amount,
        try_cast(trim(discount) as decimal(5, 4)) as discount,
        try_cast(trim(profit) as decimal(18, 4)) as profit,
        {{ parse_date('order_date', 'd/M/yyyy') }} as order_date,
        {{ parse_date('ship_date', 'd/M/yyyy') }} as ship_date,
        _source_file as source_file_name,
        _source_position as source_position,
        _loaded_at as loaded_at
    from source

)

select * from typed
