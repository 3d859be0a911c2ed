"""The 16 S&T resource categories of the GBA sharing platform, one two-digit code each.

The codes are the catalogue's ``resource_type`` values and the type segment of CSTR identifiers
(GB/T 32843: ``CSTR:<agency>.<type>.<local id>``).  Platforms' own category labels are mapped onto
these codes by the controlled vocabulary in ``conf/vocab/resource_types.yaml``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    key: str
    name_zh: str
    name_en: str
    #: the per-type field group (see schemas/resource.py) records of this type fill, if any
    field_group: str | None = None


CATEGORIES: tuple[Category, ...] = (
    Category("01", "policy", "政策法规", "Policies and regulations"),
    Category("02", "instrument", "大型科学仪器", "Large scientific instruments", "instrument"),
    Category("03", "research_base", "科研基地", "Research bases", "institution"),
    Category("04", "institution", "科研机构", "Research institutions", "institution"),
    Category("05", "talent", "科技人才", "S&T talent", "talent"),
    Category("06", "funding", "科研经费", "Research funding", "project"),
    Category("07", "database", "专题科学数据库", "Thematic scientific databases"),
    Category("08", "archive", "科技档案", "S&T archives"),
    Category("09", "achievement", "科技成果", "S&T achievements", "achievement"),
    Category("10", "exchange", "科技交流", "S&T exchange"),
    Category("11", "ip", "知识产权", "Intellectual property", "achievement"),
    Category("12", "testing", "检验检测", "Testing and inspection"),
    Category("13", "standard", "标准", "Standards"),
    Category("14", "project", "科研项目", "Research projects", "project"),
    Category("15", "credit", "科研绩效与信用", "Research performance and credit"),
    Category("16", "finance", "科技金融", "S&T finance"),
)

BY_CODE = {c.code: c for c in CATEGORIES}
BY_KEY = {c.key: c for c in CATEGORIES}
CODES = tuple(c.code for c in CATEGORIES)

#: 原值 ≥ 300,000 CNY makes an instrument a "large scientific instrument" (applied on the calibrated value)
LARGE_INSTRUMENT_MIN_CNY = 300_000.0
