with

products as (

    select * from {{ ref('stg_sales__products') }}

),

-- how many rows of the product master carry each (product, name) pair
name_usage as (

    select
        product_id,
        product_name,
        count(*) as name_row_count
    from products
    group by 1, 2

),

-- de-duplication rule: per Product ID keep the row whose name is used on the most rows;
-- ties go to the alphabetically first name, then the first state, then the lowest price
ranked as (

    select
        products.*,
        count(*) over (partition by products.product_id) as source_row_count,
        size(collect_set(products.product_name) over (partition by products.product_id)) as name_variant_count,
        row_number() over (
            partition by products.product_id
            order by
                name_usage.name_row_count desc,
                products.product_name asc,
                products.state asc,
                products.unit_price asc
        ) as row_rank
    from products
    left join name_usage
        on
            products.product_id = name_usage.product_id
            and products.product_name <=> name_usage.product_name
    where products.product_id is not null

),

final as (

    select
        product_id,
        product_name,
        category,
        sub_category,
        unit_price,
        source_row_count,
        name_variant_count > 1 as has_name_variants
    from ranked
    where row_rank = 1

)

select * from final
