with

loaded_customers as (

    select
        customer_id,
        customer_name,
        email,
        phone,
        address,
        segment,
        country,
        city,
        state,
        postal_code,
        region,
        source_file_name,
        source_position,
        loaded_at
    from {{ ref('base_sales__customers') }}
    where record_status = 'loaded'

),

renamed as (

    select
        upper(trim(customer_id)) as customer_id,
        -- name, email and phone stay as typed here; dim_customers cleans and validates them
        customer_name,
        email,
        phone,
        trim(address) as address,
        trim(segment) as segment,
        trim(country) as country,
        trim(city) as city,
        trim(state) as state,
        -- Excel stores postal codes as numbers and drops leading zeros: 2134 is 02134
        case
            when trim(postal_code) rlike '^[0-9]{1,4}$' then lpad(trim(postal_code), 5, '0')
            else trim(postal_code)
        end as postal_code,
        trim(region) as region,
        source_file_name,
        source_position,
        loaded_at
    from loaded_customers

)

select * from renamed
