"""Run the whole program on one machine: issuer agent, wallet and verifier agent.

:class:`System` starts the three services as child processes on loopback
with SQLite in one data directory; :class:`DemoStory` plays the demo story
through their HTTP interfaces. ``vcwork up`` is the command around both.
"""

from .story import DemoStory, ResultPage, StoryOutcome, parse_result_page
from .up import Ports, System, SystemLayout, SystemRunError, create_staff_api_key

__all__ = [
    "DemoStory",
    "Ports",
    "ResultPage",
    "StoryOutcome",
    "System",
    "SystemLayout",
    "SystemRunError",
    "create_staff_api_key",
    "parse_result_page",
]
