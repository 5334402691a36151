with

loaded_products as (

    select
        product_id,
        category,
        sub_category,
        product_name,
        state,
        price_per_product,
        source_file_name,
        source_position,
        loaded_at
    from {{ ref('base_sales__products') }}
    where record_status = 'loaded'

),

renamed as (

    select
        upper(trim(product_id)) as product_id,
        trim(category) as category,
        trim(sub_category) as sub_category,
        trim(product_name) as product_name,
        trim(state) as state,
        source_file_name,
        price_per_product as unit_price,
        source_position,
        loaded_at
    from loaded_products

)

select * from renamed
