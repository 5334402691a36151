{#- Spark models and stored test failures get explicit paths:
        $SALES_TABLE_ROOT/<target>/<schema>/<table>   (default root: <lake>/tables)
    A build killed while writing a table leaves its folder behind with no metastore entry. For a
    managed table that folder makes every later build fail (LOCATION_ALREADY_EXISTS); for a table
    with an explicit path, the next CREATE TABLE AS SELECT overwrites it
    (spark.sql.legacy.allowNonEmptyLocationInCTAS in profiles.yml). Seeds stay managed: they are
    loaded by CREATE TABLE + INSERT, which would append to a folder that a dropped external table
    leaves behind. A location_root config still wins. Overrides dbt-spark's macro; Databricks
    keeps its own. -#}
{% macro spark__location_clause() %}
    {%- set location_root = config.get('location_root', validator=validation.any[basestring]) -%}
    {%- if location_root is none and model['resource_type'] != 'seed' -%}
        {%- set location_root = spark_table_root() ~ '/' ~ model['schema'] -%}
    {%- endif -%}
    {%- if location_root is not none %}
    location '{{ location_root }}/{{ model['alias'] }}'
    {%- endif %}
{%- endmacro %}


{#- Each schema gets the folder its tables' paths are under, $SALES_TABLE_ROOT/<target>/<schema>:
    dropping a schema (an old version, macros/publish.sql) then removes its files with it, the
    folders of killed builds included. Overrides dbt-spark's macro. -#}
{% macro spark__create_schema(relation) -%}
    {%- call statement('create_schema') -%}
        create schema if not exists {{ relation.without_identifier() }} location '{{ spark_table_root() }}/{{ relation.schema }}'
    {%- endcall -%}
{% endmacro %}


{% macro spark_table_root() %}
    {%- set default_root = env_var('SALES_LAKE_DIR', flags.PROFILES_DIR ~ '/.lake') ~ '/tables' -%}
    {{- return(env_var('SALES_TABLE_ROOT', default_root) ~ '/' ~ target.name) -}}
{% endmacro %}
