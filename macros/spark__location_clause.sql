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
        {%- set default_root = env_var('SALES_LAKE_DIR', flags.PROFILES_DIR ~ '/.lake') ~ '/tables' -%}
        {%- set location_root = env_var('SALES_TABLE_ROOT', default_root) ~ '/' ~ target.name ~ '/' ~ model['schema'] -%}
    {%- endif -%}
    {%- if location_root is not none %}
    location '{{ location_root }}/{{ model['alias'] }}'
    {%- endif %}
{%- endmacro %}
