{#- Write–audit–publish (README "Gold is published whole").

    A build (`make build`, which sets $SALES_BUILD_VERSION) writes every model and seed of the
    published schemas (var published_schemas: silver, gold) into candidate schemas
    "<schema>__<version>", and its tests run there. Readers query the published schemas, where
    each relation is a view onto one version's relation. Only when every node of a `dbt build`
    passed does the on-run-end hook point those views at the candidate, all in a row: metadata
    only, no data copied. A failed or killed build changes nothing readers see.

    audit.publish_log is the journal: per publish a 'publishing' batch (one row per view and the
    physical relation it shows, plus a row with the loads the version was built from and one with
    the fingerprint of the code that built it, physical 'code'), then one
    'published' row; a rollback adds 'rolled_back' for the version it withdraws and publishes the
    previous one again. A publish that was interrupted (its batch without 'published') is finished
    by the next build or rollback before anything else. -#}

{% macro building_commands() %}
    {{- return(['build', 'run', 'seed', 'snapshot']) -}}
{% endmacro %}


{#- on-run-start: refuse a build without a version; finish an interrupted publish; make the
    relations this build does not select readable in the candidate, as views onto the published
    version's, so that refs from selected models resolve. -#}
{% macro prepare_candidate() %}
    {% if not execute or flags.WHICH not in building_commands() %}
        {{ return('') }}
    {% endif %}
    {% set version = build_version() %}
    {% if not version %}
        {{ exceptions.raise_compiler_error(
            "dbt " ~ flags.WHICH ~ " writes a candidate version of " ~ var('published_schemas') | join(', ')
            ~ " that is published only when the build passes; give the build a version: make build (or make run), or "
            ~ "SALES_BUILD_VERSION=v$(date -u +%Y%m%d%H%M%S) dbt " ~ flags.WHICH ~ " ..."
        ) }}
    {% endif %}
    {% do finish_interrupted_publish() %}
    {% set state = publish_state() %}
    {% set published = state.mappings.get(state.current, {}) %}
    {#- incremental models pick up from the published version's table when they can (macros/incremental_carry_over.sql) -#}
    {% for node in candidate_nodes(version) if node.unique_id in selected_resources and node.config.materialized == 'incremental'
        and node.schema.split('__')[0] in var('published_schemas') %}
        {% set shown = published.get(published_name(node, version)) %}
        {% set refusal = carry_over_refusal(node, state) if shown else 'no published version of it' %}
        {% set candidate = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias, type='table') %}
        {% if not refusal and adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) is none %}
            {% do adapter.create_schema(candidate) %}
            {% do carry_over(node, candidate, api.Relation.create(database=publish_database(), schema=shown.split('.')[0], identifier=shown.split('.')[1])) %}
            {% do adapter.cache_added(candidate) %}  {#- dbt listed the schema's relations before this hook ran -#}
            {% do log(node.name ~ ": carried over from version " ~ state.current ~ " (" ~ shown ~ "); built incrementally", info=true) %}
        {% elif refusal %}
            {% do log(node.name ~ ": built whole: " ~ refusal, info=true) %}
        {% endif %}
    {% endfor %}
    {% for node in candidate_nodes(version) if node.unique_id not in selected_resources %}
        {% set shown = published.get(published_name(node, version)) %}
        {% if shown %}
            {% do adapter.create_schema(api.Relation.create(database=node.database, schema=node.schema)) %}
            {% do run_query(view_sql('create or replace view', api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias), shown)) %}
        {% endif %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}


{#- on-run-end: publish a build whose every node passed; otherwise say what readers still see. -#}
{% macro publish_candidate(results) %}
    {% if not execute or flags.WHICH not in building_commands() %}
        {{ return('') }}
    {% endif %}
    {% set version = build_version() %}
    {% set failed = [] %}
    {% for result in results if (result.status | string) not in ['success', 'pass', 'warn'] %}
        {% do failed.append(result.node.name) %}
    {% endfor %}
    {% set state = publish_state() %}
    {% if failed or flags.WHICH != 'build' %}
        {% set why = (failed | length ~ " nodes failed or were skipped (" ~ failed[:3] | join(', ') ~ (", ..." if failed | length > 3 else "") ~ ")")
                     if failed else "only dbt build, which runs the tests, is published" %}
        {% do log("Not published: " ~ why ~ ". " ~ published_summary(state) ~ " The candidate is in schemas "
                  ~ candidate_schemas(version) | join(', ') ~ " (kept until the next published build).", info=true) %}
        {{ return('') }}
    {% endif %}

    {% set published = state.mappings.get(state.current, {}) %}
    {% set mapping = {} %}
    {% for node in candidate_nodes(version) %}
        {% set name = published_name(node, version) %}
        {% if node.unique_id in selected_resources %}
            {% do mapping.update({name: node.schema ~ '.' ~ node.alias}) %}
        {% elif name in published %}
            {% do mapping.update({name: published[name]}) %}
        {% endif %}
    {% endfor %}
    {% set started = modules.datetime.datetime.now() %}
    {% do publish_mapping(version, mapping, built_from_loads(mapping), code_fingerprint(), published) %}
    {% set seconds = (modules.datetime.datetime.now() - started).total_seconds() %}
    {% set dropped = drop_unkept_versions() %}
    {% do log("Published version " ~ version ~ ": " ~ mapping | length ~ " relations of " ~ var('published_schemas') | join(', ')
              ~ " now show it (" ~ "%.1f" | format(seconds) ~ " s). " ~ published_summary(publish_state())
              ~ (" Dropped versions: " ~ dropped | join(', ') ~ "." if dropped else ""), info=true) %}
    {{ return('') }}
{% endmacro %}


{#- `make rollback`: publish again the version published before the current one. -#}
{% macro rollback_publish() %}
    {% do finish_interrupted_publish() %}
    {% set state = publish_state() %}
    {% if not state.current %}
        {{ exceptions.raise_compiler_error("Nothing to roll back: no version has been published yet.") }}
    {% endif %}
    {% set earlier = state.kept | reject('equalto', state.current) | list %}
    {% if not earlier %}
        {{ exceptions.raise_compiler_error(
            "Nothing to roll back to: " ~ state.current ~ " is the only published version kept (var published_versions_kept = "
            ~ var('published_versions_kept') ~ ")."
        ) }}
    {% endif %}
    {% set previous = earlier[0] %}
    {% do publish_mapping(previous, state.mappings[previous], state.loads.get(previous, ''), state.code.get(previous, ''), state.mappings[state.current]) %}
    {#- after the publish: killed before this row, readers see the previous version and the journal agrees -#}
    {% call statement('rolled_back') %}
        insert into {{ ensure_publish_log() }} values (current_timestamp(), '{{ state.current }}', 'rolled_back', null, null, null)
    {% endcall %}
    {% do log("Rolled back " ~ state.current ~ ". " ~ published_summary(publish_state()), info=true) %}
{% endmacro %}


{#- Journal, then views, then the 'published' row: an interruption between the first and the last
    leaves a batch the next run finishes (finish_interrupted_publish). -#}
{% macro publish_mapping(version, mapping, loads, code, previous_mapping) %}
    {% set log_relation = ensure_publish_log() %}
    {% call statement('publishing') %}
        insert into {{ log_relation }} values
            (current_timestamp(), '{{ version }}', 'publishing', null, null, '{{ loads | replace("\\", "\\\\") | replace("'", "\\'") }}'),
            (current_timestamp(), '{{ version }}', 'publishing', null, 'code', '{{ code }}')
            {%- for name, physical in mapping | dictsort %},
            (current_timestamp(), '{{ version }}', 'publishing', '{{ name }}', '{{ physical }}', null)
            {%- endfor %}
    {% endcall %}
    {% do log("Publishing version " ~ version ~ " (" ~ mapping | length ~ " views)...", info=true) %}
    {% do point_views(mapping, previous_mapping) %}
    {% call statement('published') %}
        insert into {{ log_relation }} values (current_timestamp(), '{{ version }}', 'published', null, null, null)
    {% endcall %}
{% endmacro %}


{#- Make each published view show its physical relation. A published name that is still a table
    (a lake built before publishing existed) is dropped first, once; views of relations the new
    version no longer has are dropped. -#}
{% macro point_views(mapping, previous_mapping) %}
    {% set existing = {} %}
    {% for schema in var('published_schemas') %}
        {% do adapter.create_schema(api.Relation.create(database=publish_database(), schema=schema)) %}
    {% endfor %}
    {% for name in (mapping.keys() | list) + (previous_mapping.keys() | list) %}
        {% set relation = adapter.get_relation(database=publish_database(), schema=name.split('.')[0], identifier=name.split('.')[1]) %}
        {% if relation is not none %}
            {% do existing.update({name: relation}) %}
        {% endif %}
    {% endfor %}
    {% for name, physical in mapping | dictsort %}
        {% set relation = api.Relation.create(database=publish_database(), schema=name.split('.')[0], identifier=name.split('.')[1], type='view') %}
        {% if name in existing and existing[name].is_view %}
            {#- not create or replace: Spark drops the view and creates it again, and a reader in between finds no view -#}
            {% do run_query(view_sql('alter view', relation, physical)) %}
        {% else %}
            {% if name in existing %}
                {% do adapter.drop_relation(existing[name]) %}
            {% endif %}
            {% do run_query(view_sql('create view', relation, physical)) %}
        {% endif %}
        {% if var('publish_pause_seconds', 0) | float > 0 %}  {#- fault injection: widens the window a test kills the publish in -#}
            {% do run_query("select reflect('java.lang.Thread', 'sleep', cast(" ~ (var('publish_pause_seconds') | float * 1000) | int ~ " as bigint))") %}
        {% endif %}
    {% endfor %}
    {% for name in previous_mapping if name not in mapping and name in existing and existing[name].is_view %}
        {% do adapter.drop_relation(existing[name]) %}
    {% endfor %}
{% endmacro %}


{% macro view_sql(statement, view, physical) %}
    {%- set schema, identifier = physical.split('.') -%}
    {{- return(statement ~ " " ~ view ~ " as select * from " ~ api.Relation.create(database=publish_database(), schema=schema, identifier=identifier)) -}}
{% endmacro %}


{% macro finish_interrupted_publish() %}
    {% set state = publish_state() %}
    {% if state.interrupted %}
        {% do log("Finishing the interrupted publish of " ~ state.interrupted ~ " first.", info=true) %}
        {% do point_views(state.mappings[state.interrupted], state.mappings.get(state.current, {})) %}
        {% call statement('published') %}
            insert into {{ ensure_publish_log() }} values (current_timestamp(), '{{ state.interrupted }}', 'published', null, null, null)
        {% endcall %}
    {% endif %}
{% endmacro %}


{#- The journal read back: current (the version readers see), kept (published versions newest
    first, without rolled-back ones, at most var published_versions_kept), mappings and loads per
    version (of its latest publish), interrupted (a version whose publish has no end). -#}
{% macro publish_state() %}
    {% set state = {'current': none, 'kept': [], 'mappings': {}, 'loads': {}, 'code': {}, 'published_at': {}, 'interrupted': none} %}
    {% if not execute %}
        {{ return(state) }}
    {% endif %}
    {% set rows = run_query(
        "select cast(logged_at as string) as logged_at, version, event, relation, physical, detail from "
        ~ ensure_publish_log() ~ " order by logged_at"
    ) %}
    {% set batch_at, rolled_back = {}, {} %}
    {% set last = {'event': none, 'version': none} %}
    {% for row in rows %}
        {% set version = row['version'] %}
        {% if row['event'] == 'publishing' %}
            {% if batch_at.get(version) != row['logged_at'] %}
                {% do state.mappings.update({version: {}}) %}
                {% do batch_at.update({version: row['logged_at']}) %}
            {% endif %}
            {% if row['relation'] %}
                {% do state.mappings[version].update({row['relation']: row['physical']}) %}
            {% elif row['physical'] == 'code' %}
                {% do state.code.update({version: row['detail']}) %}
            {% else %}
                {% do state.loads.update({version: row['detail']}) %}
            {% endif %}
        {% elif row['event'] == 'published' %}
            {% do state.published_at.update({version: row['logged_at']}) %}
            {% do rolled_back.pop(version, none) %}
        {% elif row['event'] == 'rolled_back' %}
            {% do rolled_back.update({version: true}) %}
        {% endif %}
        {% do last.update({'event': row['event'], 'version': version}) %}
    {% endfor %}
    {% for version, at in state.published_at | dictsort(by='value', reverse=true) if version not in rolled_back %}
        {% do state.kept.append(version) %}
    {% endfor %}
    {% do state.update({
        'current': state.kept[0] if state.kept else none,
        'kept': state.kept[:var('published_versions_kept') | int],
        'interrupted': last.version if last.event == 'publishing' else none,
    }) %}
    {{ return(state) }}
{% endmacro %}


{#- Drop every version schema that no kept version shows or borrows from (failed candidates
    included); the names dropped. -#}
{% macro drop_unkept_versions() %}
    {% set state = publish_state() %}
    {% set needed = state.kept | list %}
    {% for version in state.kept %}
        {% for physical in state.mappings.get(version, {}).values() %}
            {% do needed.append(physical.split('.')[0].split('__')[-1]) %}
        {% endfor %}
    {% endfor %}
    {% set pattern = '(' ~ var('published_schemas') | join('|') ~ ')__(v[0-9a-z_]+)' %}
    {% set schemas = list_schemas(publish_database()).columns[0].values() | sort %}
    {% set unneeded = [] %}
    {% for schema in schemas if modules.re.fullmatch(pattern, schema) and modules.re.fullmatch(pattern, schema).group(2) not in needed %}
        {% do unneeded.append(schema) %}
    {% endfor %}
    {#- a kept version's incremental tables may read partition folders of older versions (carry_over) -#}
    {% if unneeded %}
        {% for version in state.kept %}
            {% for schema in borrowed_schemas(state.mappings.get(version, {})) %}
                {% do needed.append(schema.split('__')[-1]) %}
            {% endfor %}
        {% endfor %}
    {% endif %}
    {% set dropped = [] %}
    {% for schema in unneeded %}
        {% set match = modules.re.fullmatch(pattern, schema) %}
        {% if match.group(2) not in needed %}
            {% do drop_schema(api.Relation.create(database=publish_database(), schema=schema)) %}
            {% if match.group(2) not in dropped %}
                {% do dropped.append(match.group(2)) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return(dropped) }}
{% endmacro %}


{#- The schemas whose folders the partitioned incremental tables of a version's mapping
    (published name -> physical relation) read: their own and those carry_over borrowed. -#}
{% macro borrowed_schemas(mapping) %}
    {{ return(adapter.dispatch('borrowed_schemas')(mapping)) }}
{% endmacro %}


{#- Databricks clones deep: nothing borrowed. -#}
{% macro default__borrowed_schemas(mapping) %}
    {{ return([]) }}
{% endmacro %}


{% macro spark__borrowed_schemas(mapping) %}
    {% set schemas = [] %}
    {% for node in graph.nodes.values() if node.resource_type == 'model' and node.config.materialized == 'incremental' and node.config.partition_by %}
        {% set physical = mapping.get(node.schema.split('__')[0] ~ '.' ~ node.alias) %}
        {% if physical and physical.split('.')[0] in list_schemas(publish_database()).columns[0].values() %}
            {% for folder in partition_folders(api.Relation.create(database=publish_database(), schema=physical.split('.')[0], identifier=physical.split('.')[1])) if folder.schema %}
                {% do schemas.append(folder.schema) %}
            {% endfor %}
        {% endif %}
    {% endfor %}
    {{ return(schemas | unique | list) }}
{% endmacro %}


{#- One line on what readers see: the current version, what it was built from, when, and the versions kept. -#}
{% macro published_summary(state) %}
    {% if not state.current %}
        {{ return("Readers see no published version yet.") }}
    {% endif %}
    {{ return("Readers see version " ~ state.current ~ " (published " ~ state.published_at[state.current][:19] ~ " UTC, built from loads "
              ~ (state.loads.get(state.current) or 'unknown') ~ "); versions kept for rollback: " ~ state.kept | join(', ') ~ ".") }}
{% endmacro %}


{#- The current loads the candidate was built from, from its copy of stg_landing__loads. -#}
{% macro built_from_loads(mapping) %}
    {% set physical = mapping.get('silver.stg_landing__loads') %}
    {% if not physical %}
        {{ return('') }}
    {% endif %}
    {% set schema, identifier = physical.split('.') %}
    {% set rows = run_query(
        "select concat_ws(', ', sort_array(collect_set(concat(source_system, '.', source_table, ' ', load_id)))) as loads from "
        ~ api.Relation.create(database=publish_database(), schema=schema, identifier=identifier) ~ " where is_current_load"
    ) %}
    {{ return(rows.columns[0].values()[0] or '') }}
{% endmacro %}


{% macro candidate_nodes(version) %}
    {% set nodes = [] %}
    {% for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed', 'snapshot'] and node.config.materialized != 'ephemeral'
        and node.schema.endswith('__' ~ version) %}
        {% do nodes.append(node) %}
    {% endfor %}
    {{ return(nodes) }}
{% endmacro %}


{% macro published_name(node, version) %}
    {{ return(node.schema[:-(version | length + 2)] ~ '.' ~ node.alias) }}
{% endmacro %}


{% macro candidate_schemas(version) %}
    {% set schemas = [] %}
    {% for schema in var('published_schemas') %}
        {% do schemas.append(schema ~ '__' ~ version) %}
    {% endfor %}
    {{ return(schemas) }}
{% endmacro %}


{% macro publish_database() %}
    {{ return(target.database if target.type == 'databricks' else none) }}
{% endmacro %}


{% macro ensure_publish_log() %}
    {% set relation = api.Relation.create(database=publish_database(), schema='audit', identifier='publish_log') %}
    {% do adapter.create_schema(relation) %}
    {% call statement('publish_log_table') %}
        create table if not exists {{ relation }} (
            logged_at timestamp, version string, event string, relation string, physical string, detail string
        ) using {{ 'delta' if target.type == 'databricks' else 'parquet' }}
    {% endcall %}
    {{ return(relation) }}
{% endmacro %}
