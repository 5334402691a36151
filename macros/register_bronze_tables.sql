{#- Point bronze tables at landed data folders. Called by ingestion after it lands, with every
    table that has a committed load (the data folders of its current loads, oldest first: its
    newest full load and the increments after it) and the load log:
        dbt run-operation register_bronze_tables --args '{"locations": {"sales.orders": ["file:///.../orders/<load_id>/data", ...], "landing.loads": ["file:///.../load_log"]}}'
    Keys are "<source>.<table>" of any declared source. The columns and their types come from
    the source's YAML node, so the table definition and its documentation cannot drift apart.
    Every key and location is checked before the first statement runs. -#}
{% macro register_bronze_tables(locations) %}
    {%- if locations is not mapping -%}
        {{ exceptions.raise_compiler_error("register_bronze_tables: locations must be a mapping of '<source>.<table>' to a data folder URL, got " ~ locations) }}
    {%- endif -%}
    {%- set declared = {} -%}
    {%- for node in graph.sources.values() -%}
        {%- do declared.update({node.source_name ~ '.' ~ node.name: node}) -%}
    {%- endfor -%}
    {%- for key in locations | sort -%}
        {%- if key not in declared -%}
            {%- set source_name = (key ~ '').split('.')[0] -%}
            {%- set tables = [] -%}
            {%- for name in declared | sort if name.startswith(source_name ~ '.') -%}
                {%- do tables.append(name) -%}
            {%- endfor -%}
            {%- set known = tables | join(', ') if tables else 'no such source; declared tables: ' ~ declared | sort | join(', ') -%}
            {{ exceptions.raise_compiler_error("register_bronze_tables: '" ~ key ~ "' is not a table of source '" ~ source_name ~ "' (" ~ known ~ ")") }}
        {%- endif -%}
        {%- if locations[key] is string or locations[key] is not iterable or not locations[key] -%}
            {{ exceptions.raise_compiler_error("register_bronze_tables: " ~ key ~ " must map to a list of data folder URLs, got " ~ locations[key]) }}
        {%- endif -%}
        {%- for location in locations[key] -%}
            {%- if not modules.re.fullmatch('[A-Za-z0-9_:/.=+@%~-]+', location ~ '') or '/../' in location ~ '/' -%}
                {{ exceptions.raise_compiler_error("register_bronze_tables: refusing location " ~ location ~ " for " ~ key ~ ": only letters, digits and _:/.=+@%~- are allowed in a landing path, no '..'") }}
            {%- endif -%}
        {%- endfor -%}
        {%- for column in declared[key].columns.values() if not column.data_type -%}
            {{ exceptions.raise_compiler_error("register_bronze_tables: column " ~ column.name ~ " of " ~ key ~ " has no data_type in its sources YAML") }}
        {%- endfor -%}
    {%- endfor -%}
    {%- for key in locations | sort -%}
        {%- set node = declared[key] -%}
        {%- set relation = source(node.source_name, node.name) -%}
        {%- for statement in bronze_table_statements(relation, node.columns.values() | list, locations[key]) -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        {{ log("bronze table " ~ relation ~ " (" ~ key ~ ") now reads " ~ locations[key] | join(", "), info=true) }}
    {%- endfor -%}
{% endmacro %}


{#- The SQL statements that (re)create one bronze table over landed data folders. -#}
{% macro bronze_table_statements(relation, columns, locations) %}
    {{ return(adapter.dispatch('bronze_table_statements')(relation, columns, locations)) }}
{% endmacro %}


{#- Spark: an external (unmanaged) table over the JSON-lines files of its loads' folders. A table
    declaring the lineage column _load_id is partitioned by it, one partition per load folder
    (<table>/<load>/data), so that a query filtering on _load_id reads those loads alone; the load
    log, which does not, reads its one folder. Dropping the table leaves the files in place; the
    landing zone keeps every load. -#}
{% macro spark__bronze_table_statements(relation, columns, locations) %}
    {%- set by_load = '_load_id' in columns | map(attribute='name') | list -%}
    {%- set loads = bronze_load_folders(relation, locations) if by_load else none -%}
    {%- set create_table -%}
        create table {{ relation }} (
            {%- for column in columns %}
            {{ adapter.quote(column.name) }} {{ column.data_type }}{{ "," if not loop.last }}
            {%- endfor %}
        )
        using json
        {%- if by_load %}
        partitioned by (_load_id)
        location '{{ locations[0].rsplit('/', 2)[0] }}'
        {%- else %}
        location '{{ locations[0] }}'
        {%- endif %}
    {%- endset -%}
    {%- set statements = [
        "create schema if not exists " ~ relation.without_identifier(),
        "drop table if exists " ~ relation,
        create_table,
    ] -%}
    {%- for batch in (loads or []) | batch(100) -%}
        {%- set partitions = [] -%}
        {%- for load, location in batch -%}
            {%- do partitions.append(" partition (_load_id = '" ~ load ~ "') location '" ~ location ~ "'") -%}
        {%- endfor -%}
        {%- do statements.append("alter table " ~ relation ~ " add" ~ partitions | join('')) -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}


{#- [(load_id, location)] of a table's load folders, each <table folder>/<load_id>/data of one table folder. -#}
{% macro bronze_load_folders(relation, locations) %}
    {%- set table_folder = locations[0].rsplit('/', 2)[0] -%}
    {%- set loads = [] -%}
    {%- for folder in locations -%}
        {%- set parts = folder.rsplit('/', 2) -%}
        {%- if parts | length != 3 or parts[0] != table_folder or parts[2] != 'data' or not modules.re.fullmatch('[A-Za-z0-9_.-]+', parts[1]) -%}
            {{ exceptions.raise_compiler_error("register_bronze_tables: the loads of " ~ relation ~ " must be <table folder>/<load>/data folders of one table folder, got " ~ locations | join(', ')) }}
        {%- endif -%}
        {%- do loads.append((parts[1], folder)) -%}
    {%- endfor -%}
    {{ return(loads) }}
{% endmacro %}


{#- Databricks: Unity Catalog does not allow tables over volume paths, so each bronze table is a
    view over read_files() of each load's JSON-lines folder, with the explicit schema; _load_id is
    the folder's name as a literal, so a filter on it leaves the other loads' branches unread. -#}
{% macro databricks__bronze_table_statements(relation, columns, locations) %}
    {%- set by_load = '_load_id' in columns | map(attribute='name') | list -%}
    {%- set load_ids = bronze_load_folders(relation, locations) | map(attribute=0) | list if by_load else [] -%}
    {%- set read_columns = columns | rejectattr('name', 'equalto', '_load_id') | list -%}
    {%- set create_view -%}
        create or replace view {{ relation }} as
        {%- for location in locations %}
        select
            {%- for column in read_columns %}
            {{ adapter.quote(column.name) }}{{ "," if by_load or not loop.last }}
            {%- endfor %}
            {%- if by_load %}
            '{{ load_ids[loop.index0] }}' as `_load_id`
            {%- endif %}
        from read_files(
            '{{ location }}',
            format => 'json',
            schema => '{% for column in read_columns %}{{ adapter.quote(column.name) }} {{ column.data_type }}{{ ", " if not loop.last }}{% endfor %}'
        )
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    {%- endset -%}
    {{ return([
        "create schema if not exists " ~ relation.without_identifier(),
        create_view,
    ]) }}
{% endmacro %}

