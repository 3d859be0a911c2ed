"""``dag.test()`` of ``bayres_aggregate`` on the cluster profile, in a process of its own.

    python -m tests.cluster_dag_run AIRFLOW_HOME YYYY-MM-DD

Run by tests/test_cluster_e2e.py with the environment of stack/cluster-env.sh: Airflow (SQLite
metadata DB in AIRFLOW_HOME) parses dags/ as the cluster profile's DAG processor does, so every
stage is a ``SparkSubmitOperator`` on the connection ``spark_bayres`` (``AIRFLOW_CONN_SPARK_BAYRES
= spark://yarn?deploy-mode=client``): ``spark-submit --master yarn …/bayres/jobs/run/submit.py
--profile cluster run --stage <stage> --date <date>`` against this machine's YARN. ``dag.test()``
does not raise when a task fails, so this prints the DagRun's state and every task instance's
state as one JSON line (the last line of stdout) for the test to assert on.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[1] / "dags"


def main(home: str, day: str) -> int:
    os.environ.update({
        "AIRFLOW_HOME": home,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "BAYRES_PROFILE": "cluster",
        "AIRFLOW_CONN_SPARK_BAYRES": "spark://yarn?deploy-mode=client",
    })
    sys.path.insert(0, str(DAGS))
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.pool import Pool
    from airflow.utils.db import initdb

    import bayres_common as common

    initdb()
    Pool.create_or_update_pool(common.LOAD_POOL, slots=1, description="BayRes loads, one at a time",
                               include_deferred=False)
    bag = DagBag(dag_folder=str(DAGS))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["bayres_aggregate"]
    for task in dag.tasks:
        task.retries = 0  # a failure fails now, not after the back-off
    year, month, date = (int(x) for x in day.split("-"))
    run = dag.test(logical_date=pendulum.datetime(year, month, date, tz="Asia/Shanghai"))
    result = {"state": str(run.state),
              "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
              "operators": {t.task_id: type(t).__name__ for t in dag.tasks}}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
