"""The application ``spark-submit`` runs for a stage of the cluster profile's aggregation DAG.

``spark-submit [options] …/bayres/jobs/run/submit.py --profile cluster run --stage dedup --date D``
runs the ``bayres`` command line (jobs/run/cli.py) in the Spark driver, with the arguments after the
file name: the same code path as ``bayres run``, so the stage, its report and its run log are
those of any other run of that date. The exit code is the CLI's: non-zero when the stage
failed, the accounting does not balance (3) or publication was refused (4) — which fails the
Airflow task (dags/bayres_aggregate.py, SparkSubmitOperator).
"""
from __future__ import annotations


def main() -> None:
    from bayres.jobs.run.cli import main as cli

    cli(prog_name="bayres")


if __name__ == "__main__":
    main()
