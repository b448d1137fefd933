"""The scheduled deployment in prefect.yaml points at the real flow with a daily schedule."""

from __future__ import annotations

from pathlib import Path

import prefect
import yaml
from prefect.client.schemas.schedules import CronSchedule

from flows.traveltide_flow import SERVED_DEPLOYMENT, traveltide_mart

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_deploys_the_flow_daily() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert config["prefect-version"] == prefect.__version__
    (deployment,) = config["deployments"]
    module, func = deployment["entrypoint"].split(":")
    assert (ROOT / module).is_file()
    assert func == traveltide_mart.fn.__name__
    (schedule,) = deployment["schedules"]
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # validates the expression
    minute, hour, day, month, weekday = cron.cron.split()
    assert (day, month, weekday) == ("*", "*", "*") and minute.isdigit() and hour.isdigit()  # once a day
    assert deployment["work_pool"]["name"] == "traveltide-local"
    assert deployment["name"] != SERVED_DEPLOYMENT  # traveltide serve must not replace it
