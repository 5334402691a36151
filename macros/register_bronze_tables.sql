{#- Point each bronze table of the landed source at its newest load. Called by ingestion:
        dbt run-operation register_bronze_tables --args '{"locations": {"orders": "file:///..."}}'
    The columns and their types come from the source's YAML, so the table definition and its
    documentation cannot drift apart. -#}
{% macro register_bronze_tables(locations) %}
    {%- set source_tables = [] -%}
    {%- for node in graph.sources.values() if node.source_name == var('bronze_source') -%}
        {%- do source_tables.append(node) -%}
    {%- endfor -%}
    {%- set known_names = source_tables | map(attribute='name') | list -%}
    {%- for table_name in locations if table_name not in known_names -%}
        {{ exceptions.raise_compiler_error("register_bronze_tables: '" ~ table_name ~ "' is not a table of source '" ~ var('bronze_source') ~ "' (" ~ known_names | join(', ') ~ ")") }}
    {%- endfor -%}
    {%- for node in source_tables if node.name in locations -%}
        {%- set location = locations[node.name] -%}
        {%- if not modules.re.fullmatch('[A-Za-z0-9_:/.=+@%~-]+', location) or '/../' in location ~ '/' -%}
            {{ exceptions.raise_compiler_error("register_bronze_tables: refusing location " ~ location ~ " for " ~ node.name ~ ": only letters, digits and _:/.=+@%~- are allowed in a landing path, no '..'") }}
        {%- endif -%}
        {%- set relation = source(node.source_name, node.name) -%}
        {%- for statement in bronze_table_statements(relation, node.columns.values() | list, location) -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        {{ log("bronze table " ~ relation ~ " now reads " ~ location, info=true) }}
    {%- endfor -%}
{% endmacro %}


{#- The SQL statements that (re)create one bronze table over a landed data folder. -#}
{% macro bronze_table_statements(relation, columns, location) %}
    {{ return(adapter.dispatch('bronze_table_statements')(relation, columns, location)) }}
{% endmacro %}


{#- Spark: an external (unmanaged) table over the JSON-lines files of one load. Dropping it
    leaves the files in place; the landing zone keeps every load. -#}
{% macro spark__bronze_table_statements(relation, columns, location) %}
    {%- set create_table -%}
        create table {{ relation }} (
            {%- for column in columns %}
            {{ adapter.quote(column.name) }} {{ column.data_type }}{{ "," if not loop.last }}
            {%- endfor %}
        )
        using json
        location '{{ location }}'
    {%- endset -%}
    {{ return([
        "create schema if not exists " ~ relation.without_identifier(),
        "drop table if exists " ~ relation,
        create_table,
    ]) }}
{% endmacro %}


{#- Databricks: Unity Catalog does not allow tables over volume paths, so each bronze table is a
    view over read_files() of the load's JSON-lines folder, with the explicit schema. -#}
{% macro databricks__bronze_table_statements(relation, columns, location) %}
    {%- set create_view -%}
        create or replace view {{ relation }} as
        select
            {%- for column in columns %}
            {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
            {%- endfor %}
        from read_files(
            '{{ location }}',
            format => 'json',
            schema => '{% for column in columns %}{{ adapter.quote(column.name) }} {{ column.data_type }}{{ ", " if not loop.last }}{% endfor %}'
        )
    {%- endset -%}
    {{ return([
        "create schema if not exists " ~ relation.without_identifier(),
        create_view,
    ]) }}
{% endmacro %}
