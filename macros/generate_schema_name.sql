{#- Use the folder's custom schema as is (bronze / silver / gold) instead of dbt's default
    "<target schema>_<custom schema>", so every target gets the same medallion schema names.
    A build writes the published schemas (silver, gold) as a candidate version of them,
    "<schema>__<version>" (macros/publish.sql); everything else reads the published names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = (target.schema if custom_schema_name is none else custom_schema_name) | trim -%}
    {%- set version = build_version() -%}
    {%- if version and schema in var('published_schemas') -%}
        {{ schema }}__{{ version }}
    {%- else -%}
        {{ schema }}
    {%- endif -%}
{%- endmacro %}


{#- The version a build writes: $SALES_BUILD_VERSION (make build sets a new one per build), none
    when unset. An environment variable rather than a dbt var so that partial parsing notices a
    new value and parses again: the schema names are fixed when the project is parsed. -#}
{% macro build_version() -%}
    {%- set version = env_var('SALES_BUILD_VERSION', '') | trim | lower -%}
    {%- if version and not modules.re.fullmatch('v[0-9a-z_]{1,40}', version) -%}
        {{ exceptions.raise_compiler_error(
            "SALES_BUILD_VERSION '" ~ version ~ "' is not a version name: 'v' then up to 40 letters, digits or _ (make build sets one)"
        ) }}
    {%- endif -%}
    {{- return(version or none) -}}
{%- endmacro %}
