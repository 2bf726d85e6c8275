"""warroom: a terminal console for running an incident war room."""

__version__ = "0.1.0"
