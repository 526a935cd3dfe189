"""What every command shares: its exit codes and the one error it reports in a line."""

from __future__ import annotations

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


class CliError(Exception):
    """Reported as ``genaisys: <message>`` on stderr, exiting with ``code``; never a traceback."""

    def __init__(self, message: str, code: int = EXIT_UNREADABLE) -> None:
        super().__init__(message)
        self.code = code
