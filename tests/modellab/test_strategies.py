"""The strategies a learner can pick are exactly the ones the engine trains."""
from modellab.engine.config import STRATEGIES
from modellab.management.commands.lab_submit import Command
from modellab.models import Experiment


def test_the_models_strategies_are_the_engines_in_its_order():
    """Experiment.Strategy labels the engine's STRATEGIES: none missing, none extra (the form lists these)."""
    assert tuple(Experiment.Strategy.values) == STRATEGIES


def test_lab_submit_offers_the_engines_strategies():
    parser = Command().create_parser("manage.py", "lab_submit")
    (action,) = [a for a in parser._actions if a.dest == "strategy"]
    assert tuple(action.choices) == STRATEGIES
