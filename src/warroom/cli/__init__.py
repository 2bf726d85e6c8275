"""The command line: ``warroom COMMAND``; see base.py for the shared parts."""

from .base import main

__all__ = ["main"]
