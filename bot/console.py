"""The ``electionwatch`` console script, importing nothing until it runs.

Worker processes are started with "spawn", which runs the parent's main script again in each worker.
Were the command line imported at the top here, every worker would load the chat platforms, the
scheduler and the rest of the CLI (about 23 MB each) without using them.
"""

from __future__ import annotations


def main() -> int:
    """Run the command line."""
    from bot.cli import main as run_command_line

    return run_command_line()
