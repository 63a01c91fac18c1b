"""Reference data every installation has: Sacramento County's 13 school districts."""

from __future__ import annotations

from booking.accounts.tables import District

SACRAMENTO_COUNTY_DISTRICTS: list[tuple[str, str, str]] = [
    # (code, name, city)
    ("AUESD", "Arcohe Union Elementary", "Herald"),
    ("CJUSD", "Center Joint Unified", "Antelope"),
    ("EGUSD", "Elk Grove Unified", "Elk Grove"),
    ("EJESD", "Elverta Joint Elementary", "Elverta"),
    ("FCUSD", "Folsom Cordova Unified", "Folsom"),
    ("GJUESD", "Galt Joint Union Elementary", "Galt"),
    ("GJUHSD", "Galt Joint Union High", "Galt"),
    ("NUSD", "Natomas Unified", "Sacramento"),
    ("RDUSD", "River Delta Unified", "Rio Vista"),
    ("RSD", "Robla Elementary", "Sacramento"),
    ("SCUSD", "Sacramento City Unified", "Sacramento"),
    ("SJUSD", "San Juan Unified", "Carmichael"),
    ("TRUSD", "Twin Rivers Unified", "McClellan"),
]


async def ensure_reference_districts() -> int:
    """Insert the districts that are missing (by code); returns how many were added."""
    existing = {row["code"] for row in await District.select(District.code)}
    missing = [
        District(code=code, name=name, county="Sacramento", is_member=True, city=city)
        for code, name, city in SACRAMENTO_COUNTY_DISTRICTS
        if code not in existing
    ]
    if missing:
        await District.insert(*missing)
    return len(missing)
