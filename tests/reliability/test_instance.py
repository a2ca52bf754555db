"""One bot per database (single-instance lock), SIGTERM stops cleanly: checklist A.3 and the process rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.instance import InstanceLock

ROOT = Path(__file__).resolve().parents[2]


def start_bot(db: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELECTIONWATCH_", "TELEGRAM_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--db", str(db)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_second_lock_on_one_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    with InstanceLock(db):
        with pytest.raises(ConfigError, match=rf"another electionwatch \(pid {os.getpid()}\) is already running"):
            InstanceLock(db).acquire()
        InstanceLock(tmp_path / "other.db").acquire().release()  # another database is another bot
    InstanceLock(db).acquire().release()  # released: the next one may start


def test_run_refuses_a_database_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "bot.db"
    with InstanceLock(db):
        assert main(["run", "--db", str(db)]) == 2
    error = capsys.readouterr().err
    assert "is already running on" in error
    assert "stop it first, or give this one another --db" in error


def test_two_processes_on_one_database_and_sigterm(tmp_path: Path) -> None:
    """Two `electionwatch run` on one database: the second stops at once; SIGTERM ends the first cleanly.

    SIGKILL leaves no stale lock: the kernel drops it with the process.
    """
    db = tmp_path / "bot.db"
    first = start_bot(db, tmp_path)
    try:
        assert first.stdout is not None
        assert "ElectionWatch running" in first.stdout.readline()
        second = start_bot(db, tmp_path)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert f"another electionwatch (pid {first.pid}) is already running on {db}" in err
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
        assert first.returncode == 0
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    third = start_bot(db, tmp_path)
    assert third.stdout is not None
    assert "ElectionWatch running" in third.stdout.readline()
    third.kill()
    third.communicate()
    InstanceLock(db).acquire().release()
