"""A Spark standalone cluster and thrift server on this machine, for dbt's ``cluster`` target
(``python -m local_cluster up|down``, ``make cluster-up`` / ``make cluster-down``)."""
