"""Deterministic sample sources for the four GBA platforms (Guangzhou, Shenzhen, Hong Kong, Macao).

``generate(out_dir, seed, scale)`` writes each platform's embedded database
(``<platform>/<platform>_platform.sqlite``), its file feeds (``<platform>/feeds/``) and the ground
truth (``truth/``); ``generate(…, day=N)`` the same platforms as they stand on day N (``days.py``);
``load_into_database`` copies a platform database into MariaDB/MySQL (or any
SQLAlchemy URL); ``fx_rates_table`` is the one source of the daily FX rates used.
"""
from .fx import fx_rates_table
from .generator import all_sources, generate
from .sqlite_db import load_into_database

__all__ = ["generate", "load_into_database", "fx_rates_table", "all_sources"]
