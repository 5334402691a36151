-- The three quarantine tables share one shape, so one model stacks them (one row per record
-- that ingestion read but did not load) rather than three identical views.
with

orders_quarantine as (

    select * from {{ source('sales', 'orders_quarantine') }}

),

products_quarantine as (

    select * from {{ source('sales', 'products_quarantine') }}

),

customers_quarantine as (

    select * from {{ source('sales', 'customers_quarantine') }}

),

stacked as (

    select
        'orders' as source_table,
        _source_file,
        _source_position,
        raw_record,
        reason,
        _loaded_at
    from orders_quarantine
    union all
    select
        'products' as source_table,
        _source_file,
        _source_position,
        raw_record,
        reason,
        _loaded_at
    from products_quarantine
    union all
    select
        'customers' as source_table,
        _source_file,
        _source_position,
        raw_record,
        reason,
        _loaded_at
    from customers_quarantine

),

renamed as (

    select
        source_table,
        _source_file as source_file_name,
        raw_record,
        reason,
        _source_position as source_position,
        reason like 'exact duplicate of %' as is_exact_duplicate,
        _loaded_at as loaded_at
    from stacked

)

select * from renamed
