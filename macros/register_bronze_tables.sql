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
        {%- if not modules.re.fullmatch('[A-Za-z0-9_:/.=+@%-]+', location) -%}
            {{ exceptions.raise_compiler_error("register_bronze_tables: refusing location " ~ location ~ " for " ~ node.name ~ ": only letters, digits and _:/.=+@%- are allowed in a landing path") }}
        {%- endif -%}
        {%- set relation = source(node.source_name, node.name) -%}
        {%- do adapter.dispatch('create_bronze_table')(relation, node.columns.values() | list, location) -%}
        {{ log("bronze table " ~ relation ~ " now reads " ~ location, info=true) }}
    {%- endfor -%}
{% endmacro %}


{#- Spark: an external (unmanaged) table over the JSON-lines files of one load. Dropping it
    leaves the files in place; the landing zone keeps every load. -#}
{% macro spark__create_bronze_table(relation, columns, location) %}
    {%- call statement('create_bronze_schema') -%}
        create schema if not exists {{ relation.without_identifier() }}
    {%- endcall -%}
    {%- call statement('drop_bronze_table') -%}
        drop table if exists {{ relation }}
    {%- endcall -%}
    {%- call statement('create_bronze_table') -%}
        create table {{ relation }} (
            {%- for column in columns %}
            {{ adapter.quote(column.name) }} {{ column.data_type }}{{ "," if not loop.last }}
            {%- endfor %}
        )
        using json
        location '{{ location }}'
    {%- endcall -%}
{% endmacro %}
