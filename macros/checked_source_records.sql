{#- The record rules of a landed source table, generated from its declaration in the sources YAML
    (column config.meta: field, type, format, required; table config.meta.landing.key), in two
    models per table: base_<system>__<table>_by_load checks each record within its load, once
    (checked_source_records); base_<system>__<table> applies the rule across loads over it
    (checked_records_across_loads).

    Within a load, one row per bronze record: each declared field typed with Spark's own casts
    (try_cast, try_to_timestamp; text that does not type gives null, never an error), its
    lineage, and record_status 'loaded' | 'quarantined' | 'duplicate' with the reason:
      - the read problem landing recorded (malformed JSON, wrong field count, ...);
      - else every field problem, joined with '; ' in declaration order
        (missing <Field> / <Field> '<raw>' is not a whole number / does not fit int / ...);
      - else, among the records that typed cleanly (is_well_typed), a key held by records with
        different raw content (every copy quarantined), or an exact copy of an earlier record
        (file, position): the first copy loads, the others are 'duplicate'. Without a key, a
        record's identity is its whole raw content.
    Across loads: a well-typed record whose identity a later load delivers again (an increment)
    is 'replaced'; the latest load's version counts. Loads are told apart by their _loaded_at.

    Call them with literal arguments: {{ checked_source_records('sales', 'orders') }} in the
    incremental by-load model (a build after an increment checks the new loads alone: bronze is
    partitioned by _load_id), {{ checked_records_across_loads('sales', 'orders',
    ref('base_sales__orders_by_load')) }} in the view. source() is called at parse time so dbt
    records the dependency; the graph is read only when executing. -#}
{% macro checked_source_records(source_name, table_name) -%}
    {%- set bronze = source(source_name, table_name) -%}
    {%- if execute -%}
        {{ checked_records_sql(bronze, source_declaration(source_name, table_name), loads_to_check(bronze)) }}
    {%- else -%}
        select * from {{ bronze }}
    {%- endif -%}
{%- endmacro %}


{#- The load ids of `bronze` that an incremental build of a by-load model does not find in its
    table (the others were checked by an earlier build); none when the model is built whole. -#}
{% macro loads_to_check(bronze) -%}
    {#- a unit test has no `this` -#}
    {%- if flags.WHICH not in building_commands() or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set checked = run_query("select distinct load_id from " ~ this).columns[0].values() | list -%}
    {%- set landed = run_query("select distinct _load_id from " ~ bronze).columns[0].values() | list -%}
    {{ return(landed | reject('in', checked) | sort | list) }}
{%- endmacro %}


{#- The declared fields and key of a source table, read from its node in the graph:
    {fields: [{column, field, type, format, required}], key: [column, ...]}. Columns whose name
    starts with "_" are the lineage columns landing adds, not fields; key columns are required.
    dbt gives unit tests no graph: a unit test of a base model passes the declaration with
    `overrides: macros: source_declaration: {...}`. -#}
{% macro source_declaration(source_name, table_name) -%}
    {%- if not graph.get('sources') -%}
        {{ exceptions.raise_compiler_error("checked_source_records: no graph to read the declaration of " ~ source_name ~ "." ~ table_name ~ " from (dbt unit tests have none); give it with overrides: macros: source_declaration: {fields: [...], key: [...]}") }}
    {%- endif -%}
    {%- set nodes = [] -%}
    {%- for node in graph.sources.values() if node.source_name == source_name and node.name == table_name -%}
        {%- do nodes.append(node) -%}
    {%- endfor -%}
    {%- if not nodes -%}
        {{ exceptions.raise_compiler_error("checked_source_records: no source table " ~ source_name ~ "." ~ table_name) }}
    {%- endif -%}
    {%- set node = nodes[0] -%}
    {%- set table_meta = (node.config or {}).get('meta') or node.meta or {} -%}
    {%- set landing = table_meta.get('landing') or {} -%}
    {%- set key = landing.get('key') or [] -%}
    {%- set fields = [] -%}
    {%- for column in node.columns.values() if not column.name.startswith('_') -%}
        {%- set meta = (column.config or {}).get('meta') or column.meta or {} -%}
        {%- set type = (meta.get('type') or 'string') | string | replace(' ', '') | lower -%}
        {%- if not modules.re.fullmatch('string|int|bigint|boolean|date|timestamp|decimal\\([0-9]+,[0-9]+\\)', type) -%}
            {{ exceptions.raise_compiler_error("checked_source_records: column " ~ column.name ~ " of " ~ source_name ~ "." ~ table_name ~ " has type '" ~ type ~ "'; expected string, int, bigint, boolean, date, timestamp or decimal(p,s)") }}
        {%- endif -%}
        {%- do fields.append({
            'column': column.name,
            'field': (meta.get('field') or column.name) | string,
            'type': type,
            'format': meta.get('format'),
            'required': meta.get('required') is sameas true or column.name in key,
        }) -%}
    {%- endfor -%}
    {%- set columns = fields | map(attribute='column') | list -%}
    {%- for column in key if column not in columns -%}
        {{ exceptions.raise_compiler_error("checked_source_records: the key of " ~ source_name ~ "." ~ table_name ~ " names an undeclared column " ~ column) }}
    {%- endfor -%}
    {{ return({'fields': fields, 'key': key}) }}
{%- endmacro %}


{#- A SQL string literal holding text (quotes and backslashes escaped). -#}
{% macro sql_text(text) -%}
    '{{ text | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- The value of a field, typed as declared; null where the text does not type. Whole numbers
    must be ASCII digits with an optional sign; decimals an ASCII number (1e3 included) that
    Spark's cast reads and that fits the declared precision. -#}
{% macro checked_field_value(field) -%}
    {%- set raw = adapter.quote(field.column) -%}
    {%- set text = 'trim(' ~ raw ~ ')' -%}
    {%- if field.type == 'string' -%}
        {{ raw }}
    {%- elif field.type in ('int', 'bigint') -%}
        case when {{ text }} rlike {{ checked_whole_number_pattern() }} then try_cast({{ text }} as {{ field.type }}) end
    {%- elif field.type.startswith('decimal') -%}
        case when {{ text }} rlike {{ checked_number_pattern() }} then try_cast({{ text }} as {{ field.type }}) end
    {%- elif field.type == 'date' and field.format -%}
        {{ parse_date(raw, field.format) }}
    {%- elif field.type == 'timestamp' and field.format -%}
        try_to_timestamp({{ text }}, {{ sql_text(field.format) }})
    {%- else -%}
        try_cast({{ text }} as {{ field.type }})
    {%- endif -%}
{%- endmacro %}


{% macro checked_whole_number_pattern() -%}
    '^[+-]?[0-9]+$'
{%- endmacro %}


{% macro checked_number_pattern() -%}
    '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$'
{%- endmacro %}


{#- What is wrong with one field of a record, in the words of the quarantine, or null. -#}
{% macro checked_field_problem(field) -%}
    {%- set raw = adapter.quote(field.column) -%}
    {%- set text = 'trim(' ~ raw ~ ')' -%}
    {%- set quoted_raw = sql_text(field.field ~ " '") ~ ', ' ~ raw ~ ', ' -%}
case
                when {{ raw }} is null or {{ text }} = '' then {{ sql_text('missing ' ~ field.field) if field.required else 'null' }}
    {%- if field.type in ('int', 'bigint') %}
                when not ({{ text }} rlike {{ checked_whole_number_pattern() }}) then concat({{ quoted_raw }}{{ sql_text("' is not a whole number") }})
                when {{ checked_field_value(field) }} is null then concat({{ quoted_raw }}{{ sql_text("' does not fit " ~ field.type) }})
    {%- elif field.type.startswith('decimal') %}
                when not ({{ text }} rlike {{ checked_number_pattern() }}) then concat({{ quoted_raw }}{{ sql_text("' is not a number") }})
                when {{ checked_field_value(field) }} is null then concat({{ quoted_raw }}{{ sql_text("' does not fit " ~ field.type) }})
    {%- elif field.type == 'boolean' %}
                when {{ checked_field_value(field) }} is null then concat({{ quoted_raw }}{{ sql_text("' is not true or false") }})
    {%- elif field.type in ('date', 'timestamp') %}
                when {{ checked_field_value(field) }} is null then concat({{ quoted_raw }}{{ sql_text("' is not a " ~ (field.format ~ ' ' if field.format) ~ field.type) }})
    {%- endif %}
            end
{%- endmacro %}


{#- The key of a declaration as SQL: {values: [expression per key field, as compared], text:
    [expression per key field, as the reason shows it]}; a table without a key is identified by
    its whole content (record_content in checked_records_sql, raw_record after it). -#}
{% macro record_identity(declaration, content) -%}
    {%- set identity = {'values': [], 'text': []} -%}
    {%- for column in declaration.key -%}
        {%- set field = (declaration.fields | selectattr('column', 'equalto', column) | list)[0] -%}
        {%- set value = 'upper(trim(' ~ adapter.quote(column) ~ '))' if field.type == 'string' else adapter.quote(column) -%}
        {%- do identity['values'].append(value) -%}
        {%- do identity['text'].append('concat(' ~ sql_text(field.field ~ ' ') ~ ', coalesce(cast(' ~ value ~ " as string), 'null'))") -%}
    {%- endfor -%}
    {%- if not declaration.key -%}
        {%- do identity['values'].append(content) -%}
    {%- endif -%}
    {{ return(identity) }}
{%- endmacro %}


{#- The SELECT of a by-load model: typed fields, lineage, record_status and reason within the
    record's load, is_well_typed, business_digest; only the records of `loads` (load ids) unless none. -#}
{% macro checked_records_sql(bronze, declaration, loads=none) -%}
    {%- set fields = declaration.fields -%}
    {%- set identity = record_identity(declaration, 'record_content') -%}
    {#- records that typed cleanly are checked against each other within their load, the others are left alone -#}
    {%- set same_identity_and_load = 'partition by record_problem is null, ' ~ identity['values'] | join(', ') ~ ', loaded_at' -%}
    {%- set copies_listed = 10 -%}
with

bronze as (

    select * from {{ bronze }}
    {%- if loads is not none %}
    -- the loads no earlier build checked: the other partitions are not read
    where _load_id in ({% for load in loads %}{{ sql_text(load) }}{{ ', ' if not loop.last }}{% else %}null{% endfor %})
    {%- endif %}

),

typed as (

    -- names here resolve to the bronze columns (raw text); from the next step on, to the typed ones
    select
        {%- for field in fields %}
        {{ checked_field_value(field) }} as {{ adapter.quote(field.column) }},
        {%- endfor %}
        concat_ws(
            '; ',
        {%- for field in fields %}
            {{ checked_field_problem(field) }}{{ ',' if not loop.last }}
        {%- endfor %}
        ) as field_problems,
        -- the record as delivered, under the field names of the file
        to_json(
            named_struct(
            {%- for field in fields %}
                {{ sql_text(field.field) }}, {{ adapter.quote(field.column) }}{{ ',' if not loop.last }}
            {%- endfor %}
            ),
            map('ignoreNullFields', 'false')
        ) as record_content,
        {%- if declaration.key %}
        -- everything but the key, as delivered: records with distinct keys sharing it are repeat lines
        sha2(
            to_json(
                named_struct(
                {%- for field in fields if field.column not in declaration.key %}
                    {{ sql_text(field.field) }}, {{ adapter.quote(field.column) }}{{ ',' if not loop.last }}
                {%- endfor %}
                ),
                map('ignoreNullFields', 'false')
            ),
            256
        ) as business_digest,
        {%- else %}
        cast(null as string) as business_digest,
        {%- endif %}
        nullif(_read_problem, '') as read_problem,
        _raw_record as unread_record,
        _source_file as source_file_name,
        _source_position as source_position,
        _loaded_at as loaded_at,
        _load_id as load_id
    from bronze

),

problems_found as (

    select
        *,
        coalesce(read_problem, nullif(field_problems, '')) as record_problem
    from typed

),

copies_counted as (

    select
        *,
        count(*) over ({{ same_identity_and_load }}) as copy_count,
        min(record_content) over ({{ same_identity_and_load }})
        != max(record_content) over ({{ same_identity_and_load }}) as has_conflict,
        min(named_struct('file', source_file_name, 'position', source_position)) over ({{ same_identity_and_load }}) as first_copy,
        row_number() over ({{ same_identity_and_load }} order by source_file_name, source_position) as copy_number
    from problems_found

),

conflicts_listed as (

    select
        *,
        -- the first {{ copies_listed }} copies by file and position name a conflict
        array_join(
            transform(
                array_sort(
                    collect_list(
                        case
                            when has_conflict and copy_number <= {{ copies_listed }}
                                then named_struct('file', source_file_name, 'position', source_position)
                        end
                    ) over ({{ same_identity_and_load }})
                ),
                listed -> concat(listed.file, ' ', listed.position)
            ),
            ', '
        ) as conflicting_copies
    from copies_counted

),

statuses as (

    select
        *,
        case
            when record_problem is not null then 'quarantined'
            when has_conflict then 'quarantined'
            when copy_number > 1 then 'duplicate'
            else 'loaded'
        end as record_status,
        case
            when record_problem is not null then record_problem
            {%- if declaration.key %}
            when has_conflict
                then concat(
                    concat_ws(', ', {{ identity['text'] | join(', ') }}),
                    ' appears on ', copy_count, ' records with different content (', conflicting_copies,
                    case when copy_count > {{ copies_listed }} then concat(', and ', copy_count - {{ copies_listed }}, ' more') else '' end,
                    ')'
                )
            {%- endif %}
            when copy_number > 1 then concat('exact duplicate of ', first_copy.file, ' ', first_copy.position)
        end as reason
    from conflicts_listed

),

final as (

    select
        {%- for field in fields %}
        {{ adapter.quote(field.column) }},
        {%- endfor %}
        source_file_name,
        source_position,
        record_status,
        reason,
        case when read_problem is not null then unread_record else record_content end as raw_record,
        record_problem is null as is_well_typed,
        business_digest,
        loaded_at,
        load_id
    from statuses

)

select * from final
{%- endmacro %}


{#- The SELECT of a base model over its by-load model (`by_load`, a relation): every record of the
    current loads, a well-typed one whose identity a later load delivers again 'replaced'.
    While building, by_load is already built: its loads are read first, so that a single load
    needs no join at all and an increment's few later rows are broadcast, not shuffled with every
    earlier record (the view is read by a dozen tests and models in each build). -#}
{% macro checked_records_across_loads(source_name, table_name, by_load) -%}
    {%- if not execute -%}
        select * from {{ by_load }}
    {%- else -%}
        {%- set declaration = source_declaration(source_name, table_name) -%}
        {%- set identity = record_identity(declaration, 'raw_record') -%}
        {%- set later = later_loads(by_load) -%}
        {%- set single_load = later is not none and not later.load_ids -%}
        {%- set reason_replaced -%}
            concat(
                {% if declaration.key %}concat_ws(', ', {{ identity['text'] | join(', ') }}), ' is delivered again'{% else %}'delivered again'{% endif %},
                ' by a later load: ', later_copies.latest_copy.file, ' ', later_copies.latest_copy.position,
                ', loaded at ', cast(later_copies.latest_copy.loaded_at as string)
            )
        {%- endset %}
with

records as (

    select * from {{ by_load }}

),
{%- if not single_load %}

-- the well-typed records of the loads after the oldest current one (increments: few rows), the
-- latest copy of each identity: it replaces the copies of earlier loads
later_copies as (

    select
        {%- for value in identity['values'] %}
        {{ value }} as identity_{{ loop.index }},
        {%- endfor %}
        max(named_struct('loaded_at', loaded_at, 'file', source_file_name, 'position', source_position)) as latest_copy
    from records
    {%- if later is none %}
    where is_well_typed and loaded_at > (select min(loaded_at) from records)
    {%- else %}
    where is_well_typed and load_id in ({% for load in later.load_ids %}{{ sql_text(load) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif %}
    group by {% for value in identity['values'] %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}

),
{%- endif %}

final as (

    select {% if later is not none and later.broadcast and not single_load %}/*+ BROADCAST(later_copies) */{% endif %}
        {%- for field in declaration.fields %}
        records.{{ adapter.quote(field.column) }},
        {%- endfor %}
        records.source_file_name,
        records.source_position,
        {%- if single_load %}
        -- a single load: no later copy replaces any record
        records.record_status,
        records.reason,
        {%- else %}
        case when records.loaded_at < later_copies.latest_copy.loaded_at then 'replaced' else records.record_status end as record_status,
        case when records.loaded_at < later_copies.latest_copy.loaded_at then {{ reason_replaced | trim }} else records.reason end as reason,
        {%- endif %}
        records.raw_record,
        records.business_digest,
        records.loaded_at,
        records.load_id
    from records
    {%- if not single_load %}
    left join later_copies
        on
            records.is_well_typed
            {%- for value in identity['values'] %}
            and {{ value }} = later_copies.identity_{{ loop.index }}
            {%- endfor %}
    {%- endif %}

)

select * from final
    {%- endif -%}
{%- endmacro %}


{#- The loads of a built by-load model after its oldest one, while building: {load_ids: [...],
    broadcast: whether their well-typed records are few enough to send their latest copies to
    every executor (about 100 bytes a record; up to a million, ~100 MB of the driver's memory)};
    none when not building (compile, docs: by_load may not exist yet) or in a unit test: the view
    then finds them. -#}
{% macro later_loads(by_load) -%}
    {#- a unit test has no `this`, and its by_load is a fixture's CTE, not a table -#}
    {%- if flags.WHICH not in building_commands() or this is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set loads = run_query("select load_id, min(loaded_at) as loaded_at, count_if(is_well_typed) as well_typed_records from " ~ by_load ~ " group by load_id") -%}
    {%- set oldest = loads.columns[1].values() | min if loads.rows else none -%}
    {%- set later = loads.rows | selectattr(1, 'gt', oldest) | list if loads.rows else [] -%}
    {{ return({
        'load_ids': later | map(attribute=0) | sort | list,
        'broadcast': (later | sum(attribute=2)) <= 1000000,
    }) }}
{%- endmacro %}
