"""`flask depots create` adds a stock depot and refuses a duplicate code."""

import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.stock.models import Depot


def test_depots_create_adds_a_depot(runner):
    result = runner.invoke(
        args=["depots", "create", "--code", "HMC", "--name", "Hjälpmedelscentralen"]
    )

    assert result.exit_code == 0, result.output
    assert "HMC" in result.output
    depot = db.session.scalar(sa.select(Depot).where(Depot.code == "HMC"))
    assert depot.name == "Hjälpmedelscentralen"


def test_depots_create_refuses_a_code_already_used(runner):
    runner.invoke(args=["depots", "create", "--code", "HMC", "--name", "Första"])

    result = runner.invoke(
        args=["depots", "create", "--code", "HMC", "--name", "Andra"]
    )

    assert result.exit_code == 1
    assert "Lagret HMC finns redan." in result.output
    assert db.session.scalars(sa.select(Depot.name)).all() == ["Första"]


def test_depots_create_needs_a_name(runner):
    result = runner.invoke(args=["depots", "create", "--code", "HMC", "--name", " "])

    assert result.exit_code == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Depot)) == 0
