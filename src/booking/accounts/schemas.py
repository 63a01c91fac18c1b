from __future__ import annotations

import msgspec


class DistrictOut(msgspec.Struct):
    id: int
    code: str
    name: str
    county: str
    is_member: bool


class MeOut(msgspec.Struct):
    id: int
    email: str
    name: str
    role: str
    district_id: int | None
    school_id: int | None


class PersonOut(msgspec.Struct):
    id: int
    email: str
    name: str
    role: str
    job_title: str
    district_id: int | None
    school_id: int | None
