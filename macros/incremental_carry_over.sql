{#- Incremental models in a write–audit–publish build (macros/publish.sql).

    A build writes every model into fresh candidate schemas, so an incremental model would find
    no table of its own and always be built whole. prepare_candidate carries the published
    version's table into the candidate first (carry_over: on Spark its partition folders, borrowed;
    on Databricks a deep clone) when the model can pick up from it: the published version was built by the
    same code (code_fingerprint) and the only loads landed since are increments of the tables the
    model names in config.meta.incremental_on. Otherwise the model is built whole, and the build
    log says why. The same comparison with the published version tells ingestion which source
    tables changed, so that a build selects only what depends on them (changed_since_published). -#}

{#- Why the published table of `node` cannot be carried into this build, or '' when it can. -#}
{% macro carry_over_refusal(node, state) %}
    {%- set incremental_on = (node.config.meta or {}).get('incremental_on') or [] -%}
    {%- set refusal = reuse_refusal(state) -%}
    {%- if refusal -%}
        {{ return(refusal) }}
    {%- endif -%}
    {%- set changes = loads_since_published(state) -%}
    {%- for load in changes.gone -%}
        {{ return('load ' ~ load ~ ' of the published version ' ~ state.current ~ ' is no longer current') }}
    {%- endfor -%}
    {%- for load, kind in changes.new | dictsort -%}
        {%- if kind != 'increment' or load.split(' ')[0] not in incremental_on -%}
            {{ return('load ' ~ load ~ ' (' ~ kind ~ ') is new, and the model picks up only increments of ' ~ (incremental_on | join(', ') or 'no table')) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}


{#- Why nothing the published version holds can be reused by this build, or '': reuse needs a
    published version built by this build's code, and no --full-refresh. -#}
{% macro reuse_refusal(state) %}
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
    {{ return('') }}
{% endmacro %}


{#- How the current loads differ from those the published version was built from:
    {gone: [its loads no longer current], new: {load: kind} landed since}, loads as '<system>.<table> <load_id>'. -#}
{% macro loads_since_published(state) %}
    {%- set built_from = (state.loads.get(state.current) or '').split(', ') | reject('equalto', '') | list -%}
    {%- set current = current_load_kinds() -%}
    {%- set changes = {'gone': [], 'new': {}} -%}
    {%- for load in built_from if load not in current -%}
        {%- do changes.gone.append(load) -%}
    {%- endfor -%}
    {%- for load, kind in current | dictsort if load not in built_from -%}
        {%- do changes.new.update({load: kind}) -%}
    {%- endfor -%}
    {{ return(changes) }}
{% endmacro %}


{#- Run by ingestion before a build (`dbt run-operation changed_since_published`): the source tables
    whose current loads differ from those the published version was built from. The build then
    selects only what depends on them; the rest stays as published (prepare_candidate shows it in
    the candidate). Said as one debug line "changed source tables: <JSON list>" (ingestion.build
    reads it), null when the build must select everything; and in words for the user. -#}
{% macro changed_since_published() %}
    {%- set state = publish_state() -%}
    {%- set refusal = reuse_refusal(state) -%}
    {%- set tables = [] -%}
    {%- if not refusal -%}
        {%- set changes = loads_since_published(state) -%}
        {%- for load in changes.gone + changes.new.keys() | list if load.split(' ')[0] not in tables -%}
            {%- do tables.append(load.split(' ')[0]) -%}
        {%- endfor -%}
        {%- set refusal = '' if tables else 'no load changed since the published version ' ~ state.current -%}
    {%- endif -%}
    {%- if refusal -%}
        {%- do log('Building everything: ' ~ refusal ~ '.', info=true) -%}
    {%- else -%}
        {%- do log('Changed since the published version ' ~ state.current ~ ': ' ~ tables | sort | join(', ')
                   ~ '. Building what depends on them; the rest stays as published.', info=true) -%}
    {%- endif -%}
    {%- do log('changed source tables: ' ~ tojson(none if refusal else tables | sort)) -%}
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


{#- Make `candidate` (a relation) hold what `published` holds, partitioned like the model. -#}
{% macro carry_over(node, candidate, published) %}
    {% do adapter.dispatch('carry_over')(node, candidate, published) %}
{% endmacro %}


{#- Spark: no data copied. The candidate is an external table whose partitions are the published
    table's folders (borrowed); the build then drops the partitions it rewrites from the candidate
    (files kept: the published version still reads them) and writes them into its own folder
    (rewritten_months). drop_unkept_versions keeps the schemas whose folders a kept version borrows.
    A copy instead (CREATE TABLE AS SELECT) took 262 s of a 1,146 s increment at 10M order lines.
    Unpartitioned tables, and partition folders whose names would need escaping, are copied. -#}
{% macro spark__carry_over(node, candidate, published) %}
    {%- set partition_by = node.config.get('partition_by') or [] -%}
    {%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
    {%- set location = spark_table_root() ~ '/' ~ candidate.schema ~ '/' ~ candidate.identifier -%}
    {%- set folders = partition_folders(published) if partition_by | length == 1 else none -%}
    {%- if folders is none or folders | selectattr('spec', 'none') | list -%}
        {% do run_query("create table " ~ candidate ~ " using " ~ (node.config.get('file_format') or 'parquet')
                        ~ (" partitioned by (" ~ partition_by | join(', ') ~ ")" if partition_by else "")
                        ~ " location '" ~ location ~ "' as select * from " ~ published) %}
        {{ return(none) }}
    {%- endif -%}
    {% do run_query("create table " ~ candidate ~ " like " ~ published ~ " location '" ~ location ~ "'") %}
    {%- for batch in folders | batch(100) %}
        {% do run_query("alter table " ~ candidate ~ " add if not exists" ~ batch | map(attribute='spec') | join('')) %}
    {%- endfor %}
{% endmacro %}


{#- The partition folders of a table partitioned by one column, from the paths of its data files:
    [{schema, spec}], `schema` the version schema the folder is under (<schema>/<table>/<column>=<value>),
    `spec` its ADD PARTITION clause; `spec` none where the path holds more than letters, digits and
    _ . / : = - (it would need escaping). -#}
{% macro partition_folders(relation) %}
    {%- set rows = run_query(
        "select distinct regexp_extract(_metadata.file_path, '^(.*)/[^/]+$', 1) as folder from " ~ relation
    ) -%}
    {%- set folders = [] -%}
    {%- for row in rows -%}
        {%- set parts = modules.re.fullmatch('([A-Za-z0-9_./:=-]*)/([A-Za-z0-9_]+)/[A-Za-z0-9_]+/([A-Za-z0-9_]+)=([A-Za-z0-9_.:-]+)', row['folder']) -%}
        {%- do folders.append({
            'schema': parts.group(2) if parts else none,
            'spec': " partition (" ~ parts.group(3) ~ " = '" ~ parts.group(4) ~ "') location '" ~ row['folder'] ~ "'" if parts else none,
        }) -%}
    {%- endfor -%}
    {{ return(folders) }}
{% endmacro %}


{#- Databricks: a deep clone, whose files are its own. A shallow clone would read the published
    table's files, which dropping that version (drop_unkept_versions) deletes. -#}
{% macro databricks__carry_over(node, candidate, published) %}
    {% do run_query(databricks_clone_sql(candidate, published)) %}
{% endmacro %}


{% macro databricks_clone_sql(candidate, published) %}
    {{ return("create or replace table " ~ candidate ~ " deep clone " ~ published) }}
{% endmacro %}


{#- The months an incremental build of fct_order_lines rewrites, as date literals: those of the
    lines landed after any line `this` holds, and those their earlier versions are in. Each is
    dropped from `this` here, so a month left without lines is gone (insert_overwrite rewrites
    only the months it writes rows for). Run while the model is built only; compiling it queries nothing. -#}
{% macro rewritten_months(this, lines) %}
    {%- if not execute or flags.WHICH not in building_commands() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        with changed as (
            select order_line_id, trunc(order_date, 'MM') as order_month
            from {{ lines }}
            where loaded_at > (select coalesce(max(loaded_at), timestamp '0001-01-01') from {{ this }})  -- an empty table: every line
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
    {%- set months, dropped = [], [] -%}
    {%- for row in run_query(query) -%}
        {%- do dropped.append("partition (order_month = '" ~ row['order_month'] ~ "')") -%}
        {%- if row['has_lines'] -%}
            {%- do months.append("date'" ~ row['order_month'] ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {#- the partitions dropped first: a borrowed one (carry_over) keeps its files for the published
        version, and insert_overwrite writes the month into this table's own folder -#}
    {%- if dropped -%}
        {%- do run_query("alter table " ~ this ~ " drop if exists " ~ dropped | join(', ')) -%}
    {%- endif -%}
    {{ log(this ~ ": rewriting " ~ months | length ~ " months of order lines", info=true) }}
    {{ return(months) }}
{% endmacro %}
