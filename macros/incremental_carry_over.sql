{#- Incremental models in a write–audit–publish build (macros/publish.sql).

    A build writes every model into fresh candidate schemas, so an incremental model would find
    no table of its own and always be built whole. prepare_candidate carries the published
    version's table into the candidate first (carry_over_sql: a copy on Spark, a shallow clone
    on Databricks) when the model can pick up from it: the published version was built by the
    same code (code_fingerprint) and the only loads landed since are increments of the tables the
    model names in config.meta.incremental_on. Otherwise the model is built whole, and the build
    log says why. -#}

{#- Why the published table of `node` cannot be carried into this build, or '' when it can. -#}
{% macro carry_over_refusal(node, state) %}
    {%- set incremental_on = (node.config.meta or {}).get('incremental_on') or [] -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return('--full-refresh') }}
    {%- endif -%}
    {%- if not state.current -%}
        {{ return('no version is published yet') }}
    {%- endif -%}
    {%- if not code_fingerprint() -%}
        {{ return('this build was not given the fingerprint of its code ($SALES_CODE_FINGERPRINT; make build and make run give it)') }}
    {%- endif -%}
    {%- if state.code.get(state.current) != code_fingerprint() -%}
        {{ return('the published version ' ~ state.current ~ ' was built by other code (models, macros or seeds changed)') }}
    {%- endif -%}
    {%- set built_from = (state.loads.get(state.current) or '').split(', ') | reject('equalto', '') | list -%}
    {%- set current = current_load_kinds() -%}
    {%- for load in built_from if load not in current -%}
        {{ return('load ' ~ load ~ ' of the published version ' ~ state.current ~ ' is no longer current') }}
    {%- endfor -%}
    {%- for load, kind in current | dictsort if load not in built_from -%}
        {%- if kind != 'increment' or load.split(' ')[0] not in incremental_on -%}
            {{ return('load ' ~ load ~ ' (' ~ kind ~ ') is new, and the model picks up only increments of ' ~ (incremental_on | join(', ') or 'no table')) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}


{#- The current loads, as '<system>.<table> <load_id>' -> load kind, from the load log bronze reads,
    with the rule of stg_landing__loads (current_loads_sql). -#}
{% macro current_load_kinds() %}
    {%- set rows = run_query(
        "select concat(source_system, '.', source_table, ' ', load_id) as load, max(load_kind) as load_kind from ("
        ~ current_loads_sql(source('landing', 'loads')) ~ ") as loads where is_current_load group by 1"
    ) -%}
    {%- set kinds = {} -%}
    {%- for row in rows -%}
        {%- do kinds.update({row['load']: row['load_kind']}) -%}
    {%- endfor -%}
    {{ return(kinds) }}
{% endmacro %}


{#- The digest of the project's code that ingestion gives a build ($SALES_CODE_FINGERPRINT:
    ingestion.build.code_fingerprint, over models/, macros/, seeds/ and dbt_project.yml); '' for
    a dbt build started otherwise, whose tables are never carried. -#}
{% macro code_fingerprint() %}
    {{ return(env_var('SALES_CODE_FINGERPRINT', '')) }}
{% endmacro %}


{#- The statement that makes `candidate` a copy of `published` (both relations), partitioned like the model. -#}
{% macro carry_over_sql(node, candidate, published) %}
    {{ return(adapter.dispatch('carry_over_sql')(node, candidate, published)) }}
{% endmacro %}


{% macro spark__carry_over_sql(node, candidate, published) %}
    {%- set partition_by = node.config.get('partition_by') or [] -%}
    {%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
    {%- set statement -%}
        create table {{ candidate }}
        using {{ node.config.get('file_format') or 'parquet' }}
        {% if partition_by %}partitioned by ({{ partition_by | join(', ') }}){% endif %}
        location '{{ spark_table_root() }}/{{ candidate.schema }}/{{ candidate.identifier }}'
        as select * from {{ published }}
        {% if partition_by %}distribute by {{ partition_by | join(', ') }}{% endif %}
    {%- endset -%}
    {{ return(statement) }}
{% endmacro %}


{#- Databricks: a shallow clone shares the published table's files; writes go to new ones. -#}
{% macro databricks__carry_over_sql(node, candidate, published) %}
    {{ return("create or replace table " ~ candidate ~ " shallow clone " ~ published) }}
{% endmacro %}


{#- The months an incremental build of fct_order_lines rewrites, as date literals: those of the
    lines landed after any line `this` holds, and those their earlier versions are in. A month
    that has no line left is dropped from `this` here (insert_overwrite rewrites only the months
    it writes rows for). Run while the model is built only; compiling it queries nothing. -#}
{% macro rewritten_months(this, lines) %}
    {%- if not execute or flags.WHICH not in building_commands() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        with changed as (
            select order_line_id, trunc(order_date, 'MM') as order_month
            from {{ lines }}
            where loaded_at > (select max(loaded_at) from {{ this }})
        ),
        touched as (
            select order_month from changed
            union
            select earlier.order_month from {{ this }} as earlier inner join changed on earlier.order_line_id = changed.order_line_id
        )
        select
            cast(touched.order_month as string) as order_month,
            count(line_months.order_month) > 0 as has_lines
        from touched
        left join (select distinct trunc(order_date, 'MM') as order_month from {{ lines }}) as line_months
            on touched.order_month = line_months.order_month
        group by 1
        order by 1
    {%- endset -%}
    {%- set months = [] -%}
    {%- for row in run_query(query) -%}
        {%- if row['has_lines'] -%}
            {%- do months.append("date'" ~ row['order_month'] ~ "'") -%}
        {%- else -%}
            {%- do run_query("alter table " ~ this ~ " drop if exists partition (order_month = '" ~ row['order_month'] ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log(this ~ ": rewriting " ~ months | length ~ " months of order lines", info=true) }}
    {{ return(months) }}
{% endmacro %}
