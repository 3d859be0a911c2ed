"""Micro-benchmark of the per-value calibration rules (not a test).

    python -m bayres.jobs.conform.calibration.bench [n]

prints microseconds per call for each hot function, over a cycle of realistic inputs.
"""
from __future__ import annotations

import sys
import time
from itertools import cycle, islice

from . import contacts, dates, identifiers, money, names, phones, text

#: name → (function of one value, sample values it cycles through)
CASES = {
    "normalise_text": (text.normalise_text,
                       ["  香港科技大學　（廣州） ", "Hong Kong  Baptist University", "ＡＢＣ１２３", "plain"]),
    "to_simplified[hk]": (lambda s: text.to_simplified(s, "hk"),
                          ["香港科技大學", "澳門大學", "智慧城市物聯網國家重點實驗室", "衞生署"]),
    "name_key": (names.name_key,
                 ["香港科技大學", "The Hong Kong University of Science and Technology",
                  "香港中文大学（深圳）", "HKUST", "某某市第一人民医院检验科", "Universidade de Macau"]),
    "english_key": (names.english_key,
                    ["The Univ. of Hong Kong", "Universidade de Ciência e Tecnologia de Macau",
                     "Huawei Technologies Co., Ltd.", "Peng Cheng Lab"]),
    "parse_date": (lambda v: dates.parse_date(v, "DD/MM/YYYY"),
                   ["2021-05-04", "04/05/2021", "2021年5月4日", "44320", "2021-05-04 00:00:00"]),
    "parse_amount": (lambda v: money.parse_amount(v, "HKD"),
                     ["1,234,000.00", "HK$1,234,000", "HKD 1.2m", "30万元", "MOP$ 2.5 milhões"]),
    "to_cny": (None, None),  # filled in by measure(): needs an FxRates
    "to_e164": (lambda v: phones.to_e164(v, "HK"),
                ["+852 2358-6000", "2358 6000", "+86 20 8711 2233", "+853 2888 1122", "9123 4567"]),
    "to_e164[cn]": (lambda v: phones.to_e164(v, "CN"),
                    ["(020) 8711 2233", "0755-26536114", "13812345678", "+852 2358 6000"]),
    "to_e164[slow path]": (lambda v: phones.to_e164(v, "MO"), ["853-2888-1122 ext. 12", "+1 650 253 0000"]),
    "validate_email": (contacts.validate_email, ["Info@HKUST.edu.hk", "abc[at]um.edu.mo", "x#sustech.edu.cn"]),
    "validate_url": (contacts.validate_url,
                     ["https://www.hkust.edu.hk", "www.um.edu.mo/zh-hant/", "HTTP://Example.COM:80/a%20b"]),
    "normalise_patent_no": (identifiers.normalise_patent_no,
                            ["ZL201910725275.4", "CN 2019 1 0725275.4", "CN110941994B"]),
    "normalise_credit_code": (identifiers.normalise_credit_code, ["914403001922038216", "91440300708461136T"]),
    "normalise_orcid": (identifiers.normalise_orcid, ["0000-0002-1825-0097", "https://orcid.org/0000-0002-1694-233X"]),
    "stable_local_id": (lambda v: identifiers.stable_local_id("02", v, "gz"), ["香港科技大学", "a", "b"]),
}


def _time(fn, values) -> float:
    start = time.perf_counter()
    for v in values:
        fn(v)
    return (time.perf_counter() - start) / len(values) * 1e6


def measure(n: int = 100_000) -> dict[str, float]:
    """Microseconds per call of each hot rule, over ``n`` calls cycling through its samples."""
    from datetime import date

    fx = money.FxRates([(date(2021, 1, 1), "HKD", 0.83), (date(2021, 6, 1), "HKD", 0.82),
                        (date(2021, 1, 1), "MOP", 0.81)])
    cases = dict(CASES)
    days = [date(2021, 5, 4), date(2021, 7, 1), date(2022, 1, 1)]
    cases["to_cny"] = (lambda d: fx.to_cny(1_000_000.0, "HKD", d), days)
    names.default_aliases()  # load once, outside the timing
    results = {}
    for name, (fn, samples) in cases.items():
        for s in samples:
            fn(s)  # warm up, and fail loudly if a sample is not valid
        results[name] = round(_time(fn, list(islice(cycle(samples), n))), 2)
    return results


if __name__ == "__main__":  # pragma: no cover
    for name, us in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000).items():
        print(f"{name:24s} {us:8.2f} µs/call")
