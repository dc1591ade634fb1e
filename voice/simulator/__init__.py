"""An offline stand-in for Vapi's API: REST endpoints plus calls played as signed webhooks.

Used by `manage.py vapi_simulator` (and so by `make run`) and by the tests, which reach it over a
real socket or an httpx transport. It never touches the Django ORM.
"""

from voice.simulator.app import SimulatorConfig, VapiSimulator

__all__ = ["SimulatorConfig", "VapiSimulator"]
