with

source as (

    select * from {{ source('sales', 'products') }}

),

typed as (

    select
        upper(trim(product_id)) as product_id,
        trim(category) as category,
        trim(sub_category) as sub_category,
        trim(product_name) as product_name,
        trim(state) as state,
        try_cast(trim(price_per_product) as decimal(18, 4)) as unit_price,
        _source_file as source_file_name,
        _source_position as source_position,
        _loaded_at as loaded_at
    from source

)

select * from typed
