"""The Sly Park forms keep what the pages always read: clipped text fields are cut, not refused; the fields the
pages refused when too long are refused with the same words."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from booking.errors import InvalidInput
from booking.slypark import family_forms
from booking.slypark.forms import FamilyForm, HeadcountForm, SeasonStatusForm, StudentGridForm, WeekRequestForm
from booking.web.forms import decode_form


def test_clipped_fields_keep_their_first_characters_instead_of_refusing():
    entry = decode_form(
        MultiDict({"lead_teacher_name": "x" * 5000, "boys": " 12 ", "can_share": "on"}), WeekRequestForm
    )
    assert (len(entry.lead_teacher_name), entry.boys, entry.can_share, entry.can_split) == (400, " 12 ", True, False)
    assert entry.choices() == ["", "", "", "", ""]
    assert len(decode_form(MultiDict({"reason": "r" * 1000}), HeadcountForm).reason) == 400


def test_the_family_form_holds_every_field_of_the_use_cases_input_and_the_language():
    entry = decode_form(MultiDict({"lang": "es" * 20, "allergies": "a" * 3000}), FamilyForm)
    assert (entry.lang, len(entry.allergies)) == ("es" * 5, 2100)
    assert set(FamilyForm.__struct_fields__) == {"lang", *family_forms.FORM_FIELDS}


def test_the_grid_reads_only_its_fixed_fields():
    entry = decode_form(MultiDict({"rows": "1234567", "action": "add", "first_name-0": "Ana"}), StudentGridForm)
    assert (entry.rows, entry.action) == ("123456", "add")


def test_fields_refused_when_too_long_say_so_as_before():
    with pytest.raises(InvalidInput) as refused:
        decode_form(MultiDict({"status": "x" * 41}), SeasonStatusForm)
    assert refused.value.field_errors == {"status": "Use at most 40 characters."}
