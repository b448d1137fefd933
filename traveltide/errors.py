"""The one error type an operator sees: every failure the toolkit explains is a
:class:`TravelTideError`, whose message names the file, table, column or setting and what to do.
The command line prints its message as the run's last line; anything else is a bug."""

from __future__ import annotations

__all__ = ["TravelTideError"]


class TravelTideError(Exception):
    """A failure the operator can act on; the message says what happened and what to do."""
