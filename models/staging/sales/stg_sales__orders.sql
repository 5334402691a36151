with

loaded_orders as (

    select
        row_id,
        order_id,
        customer_id,
        product_id,
        ship_mode,
        quantity,
        price,
        discount,
        profit,
        order_date,
        ship_date,
        source_file_name,
        source_position,
        loaded_at
    from {{ ref('base_sales__orders') }}
    where record_status = 'loaded'

),

renamed as (

    select
        cast(row_id as string) as order_line_id,
        upper(trim(order_id)) as order_id,
        upper(trim(customer_id)) as customer_id,
        upper(trim(product_id)) as product_id,
        trim(ship_mode) as ship_mode,
        quantity,
        price as sales_amount,
        discount,
        -- as delivered, every decimal kept: gold rounds it once
        profit,
        source_file_name,
        source_position,
        order_date,
        ship_date,
        loaded_at
    from loaded_orders

)

select * from renamed
