{#- Use the folder's custom schema as is (bronze / silver / gold) instead of dbt's default
    "<target schema>_<custom schema>", so every target gets the same medallion schema names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
