with

customers as (

    select * from {{ ref('stg_sales__customers') }}

),

names_cleaned as (

    select
        *,
        nullif(
            trim(
                regexp_replace(
                    regexp_replace(
                        -- digits glued to the letters after them are junk inside a word:
                        -- 'Vitt 12313orini' -> 'Vittorini'
                        regexp_replace(customer_name, '\\s*[0-9]+(?=\\p{L})', ''),
                        -- keep letters of any script, combining marks, spaces, apostrophes
                        -- (x27, x2019), dots and hyphens; drop digits, symbols, underscores
                        '[^\\p{L}\\p{M}\\s\\x27\\x{2019}.-]',
                        ''
                    ),
                    '\\s+',
                    ' '
                )
            ),
            ''
        ) as cleaned_name
    from customers

),

emails_validated as (

    select
        *,
        lower(trim(email)) as normalised_email,
        coalesce(
            lower(trim(email)) rlike '^[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$',
            false
        ) as is_email_valid
    from names_cleaned

),

phones_split as (

    select
        *,
        -- an extension is written x1856 or ext. 1856 at the end of the number
        nullif(regexp_extract(trim(phone), '(?i)(?:x|ext\\.?)\\s*([0-9]+)$', 1), '') as extension_digits,
        regexp_replace(
            regexp_replace(trim(phone), '(?i)(?:x|ext\\.?)\\s*[0-9]+$', ''),
            '[^0-9]',
            ''
        ) as phone_digits
    from emails_validated

),

phones_normalised as (

    select
        *,
        -- North American numbers: 10 digits after an optional 1 or 001 country prefix.
        -- A negative number is an Excel typing accident whose digits cannot be trusted.
        case
            when trim(phone) like '-%' then null
            when length(phone_digits) = 10 then phone_digits
            when length(phone_digits) = 11 and phone_digits like '1%' then substr(phone_digits, 2)
            when length(phone_digits) = 13 and phone_digits like '001%' then substr(phone_digits, 4)
        end as national_number
    from phones_split

),

final as (

    select
        customer_id,
        cleaned_name as customer_name,
        case when is_email_valid then normalised_email end as email,
        '+1' || national_number as phone_number,
        case when national_number is not null then extension_digits end as phone_extension,
        regexp_replace(address, '\\s*[\\r\\n]+\\s*', ', ') as address,
        segment,
        country,
        city,
        state,
        postal_code,
        region,
        cleaned_name is not null as has_customer_name,
        is_email_valid as has_valid_email,
        national_number is not null as has_valid_phone
    from phones_normalised

)

select * from final
