"""The menu marks one item as the current page: the most specific link that matches."""

from booking.web.navigation import NavItem, current_flags


def test_the_longest_matching_link_is_current():
    items = [NavItem("Home", "/"), NavItem("Finance", "/finance"), NavItem("Card payments", "/finance/card-payments")]
    assert [current for _, current in current_flags(items, "/finance/card-payments/7")] == [False, False, True]
    assert [current for _, current in current_flags(items, "/finance/invoices")] == [False, True, False]
    assert [current for _, current in current_flags(items, "/")] == [True, False, False]
    assert [current for _, current in current_flags(items, "/workshops")] == [False, False, False]
