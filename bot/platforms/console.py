"""The terminal as an output: story summaries printed for the demo and for runs without chat tokens."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from bot.models import Summary


def render_console(summary: Summary) -> str:
    """Rich markup for one story; every feed-supplied string is escaped."""
    labels = " · ".join((*summary.countries, *summary.bodies))
    lines = [f"[bold]● {escape(summary.title)}[/bold]"]
    if summary.link:
        lines.append(f"  [blue]{escape(summary.link)}[/blue]")
    if summary.lead:
        lines.append(f"  {escape(summary.lead)}")
    meta = f"{escape(summary.source)}, {summary.published:%Y-%m-%d}"
    lines.append(f"  [dim]{escape(labels) + ' — ' if labels else ''}{meta}[/dim]")
    if summary.also:
        lines.append(f"  [dim]also: {escape(', '.join(summary.also))}[/dim]")
    return "\n".join(lines)


class ConsoleSender:
    """Prints summaries to a rich Console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def show(self, summary: Summary) -> None:
        """Print one story."""
        self.console.print(render_console(summary), highlight=False)
        self.console.print()
