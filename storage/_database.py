"""sqlite-utils' ``Database``, imported without numpy.

When numpy is installed (the language model of the preparing workers needs it), sqlite-utils imports
it only to map numpy scalar types to column types. This package never stores numpy values, and the
import would map about 11 MB into the process that stores and compares items, which otherwise has no
use for numpy. numpy is hidden for that one import and stays importable afterwards.
"""

from __future__ import annotations

import importlib
import sys

if "sqlite_utils" not in sys.modules and "numpy" not in sys.modules:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # None makes the import raise ImportError
    try:
        importlib.import_module("sqlite_utils")
    finally:
        del sys.modules["numpy"]

from sqlite_utils import Database

__all__ = ["Database"]
