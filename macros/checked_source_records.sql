{#- The record rules of a landed source table, generated from its declaration in the sources YAML
    (column config.meta: field, type, format, required; table config.meta.landing.key).

    One row per bronze record: each declared field typed with Spark's own casts (try_cast,
    try_to_timestamp; text that does not type gives null, never an error), its lineage, and
    record_status 'loaded' | 'quarantined' | 'duplicate' | 'replaced' with the reason:
      - the read problem landing recorded (malformed JSON, wrong field count, ...);
      - else every field problem, joined with '; ' in declaration order
        (missing <Field> / <Field> '<raw>' is not a whole number / does not fit int / ...);
      - else, among the records that typed cleanly: a key delivered again by a later load (an
        increment) is 'replaced' in the earlier loads, the latest load's version wins;
      - else, within that load, a key held by records with different raw content (every copy
        quarantined), or an exact copy of an earlier record (file, position): the first copy
        loads, the others are 'duplicate'. Without a key, a record's identity is its whole raw
        content. Loads are told apart by their _loaded_at.
    is_repeat_line: a loaded record of a keyed table whose business content (every field but the
    key) is also on another loaded record, under a distinct key (a repeat purchase, say).

    Call it from a base model with literal arguments: {{ checked_source_records('sales', 'orders') }}.
    source() is called at parse time so dbt records the dependency; the graph is read only when
    executing. -#}
{% macro checked_source_records(source_name, table_name) -%}
    {%- set bronze = source(source_name, table_name) -%}
    {%- if execute -%}
        {{ checked_records_sql(bronze, source_declaration(source_name, table_name)) }}
    {%- else -%}
        select * from {{ bronze }}
    {%- endif -%}
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


{#- The SELECT of a base model: typed fields, lineage, record_status, reason, is_repeat_line. -#}
{% macro checked_records_sql(bronze, declaration) -%}
    {%- set fields = declaration.fields -%}
    {%- set key_fields = [] -%}
    {%- for column in declaration.key -%}
        {%- do key_fields.append((fields | selectattr('column', 'equalto', column) | list)[0]) -%}
    {%- endfor -%}
    {%- set identity = [] -%}
    {%- set identity_text = [] -%}
    {%- for field in key_fields -%}
        {%- set column = adapter.quote(field.column) -%}
        {%- set value = 'upper(trim(' ~ column ~ '))' if field.type == 'string' else column -%}
        {%- do identity.append(value) -%}
        {%- do identity_text.append('concat(' ~ sql_text(field.field ~ ' ') ~ ', coalesce(cast(' ~ value ~ " as string), 'null'))") -%}
    {%- endfor -%}
    {%- if not key_fields -%}
        {%- do identity.append('record_content') -%}
    {%- endif -%}
    {#- records that typed cleanly are checked against each other, the others are left alone:
        across loads (a later load replaces), then within one load (conflicts, copies) -#}
    {%- set same_identity = 'partition by record_problem is null, ' ~ identity | join(', ') -%}
    {%- set same_identity_and_load = same_identity ~ ', loaded_at' -%}
    {%- set copies_listed = 10 -%}
with

bronze as (

    select * from {{ bronze }}

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
        {%- if key_fields %}
        -- everything but the key: records with distinct keys sharing it are repeat lines
        to_json(
            named_struct(
            {%- for field in fields if field.column not in declaration.key %}
                {{ sql_text(field.field) }}, {{ adapter.quote(field.column) }}{{ ',' if not loop.last }}
            {%- endfor %}
            ),
            map('ignoreNullFields', 'false')
        ) as business_content,
        {%- endif %}
        nullif(_read_problem, '') as read_problem,
        _raw_record as unread_record,
        _source_file as source_file_name,
        _source_position as source_position,
        _loaded_at as loaded_at
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
        -- the latest load's last copy: what replaces the copies of earlier loads
        max(named_struct('loaded_at', loaded_at, 'file', source_file_name, 'position', source_position))
            over ({{ same_identity }}) as latest_copy,
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
            when loaded_at < latest_copy.loaded_at then 'replaced'
            when has_conflict then 'quarantined'
            when copy_number > 1 then 'duplicate'
            else 'loaded'
        end as record_status,
        case
            when record_problem is not null then record_problem
            when loaded_at < latest_copy.loaded_at
                then concat(
                    {% if key_fields %}concat_ws(', ', {{ identity_text | join(', ') }}), ' is delivered again'{% else %}'delivered again'{% endif %},
                    ' by a later load: ', latest_copy.file, ' ', latest_copy.position, ', loaded at ', cast(latest_copy.loaded_at as string)
                )
            {%- if key_fields %}
            when has_conflict
                then concat(
                    concat_ws(', ', {{ identity_text | join(', ') }}),
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
        {%- if key_fields %}
        record_status = 'loaded'
        and count(*) over (partition by record_status, business_content) > 1 as is_repeat_line,
        {%- else %}
        false as is_repeat_line,
        {%- endif %}
        loaded_at
    from statuses

)

select * from final
{%- endmacro %}
