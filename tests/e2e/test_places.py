"""Browser: take a call by typing part of a standard address (the type-ahead fills it and its point),
see the earlier call from that address flagged as a repeat while typing, and find the new incident
again from the header's search box by the caller's phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from places.models import StandardAddress
from places.services import derive_place
from qianwan.org.choices import Role
from tests.e2e.conftest import artifact
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_take_a_call_from_a_standard_address_see_the_repeat_and_find_it_by_phone(
    page, login, make_user, station
):
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    address = StandardAddress(
        code="330282ADS0000012",
        district="前湾新区",
        street="庵东镇",
        community="海塘村",
        road="兴业路",
        number="12",
        lat=30.2830,
        lon=121.1870,
    )
    address.text = address.compose()
    derive_place(address)
    address.save()
    earlier = make_incident(
        station,
        caller_phone="13911112222",
        address=address.text,
        standard_address=address,
        lat=address.lat,
        lon=address.lon,
        received_at=timezone.now() - timedelta(hours=3),
    )

    login(page, "wang")
    page.goto("/incidents/new/")
    page.fill("#id_caller_phone", "13800005555")
    page.select_option("#id_category", "dispute")
    page.locator("#id_address").press_sequentially("兴业路12", delay=30)
    option = page.locator('[data-place-suggest] li[data-code="330282ADS0000012"]')
    expect(option).to_be_visible()
    option.click()
    expect(page.locator("#id_address")).to_have_value(address.text)
    expect(page.locator("#id_lat")).to_have_value("30.283000")
    expect(page.locator("[data-place-status]")).to_contain_text("330282ADS0000012")
    repeats = page.locator("[data-repeats]")
    expect(repeats).to_be_visible()
    expect(repeats).to_contain_text(earlier.number)
    expect(repeats).to_contain_text("同一标准地址")
    page.screenshot(path=artifact("places-call-repeat.png"), full_page=True)

    page.fill("#id_description", "楼上又在吵")
    page.focus("#id_description")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-success")).to_contain_text("已登记警情")
    taken = Incident.objects.exclude(pk=earlier.pk).get()
    assert taken.standard_address == address and taken.repeat_count == 1
    expect(page.locator("h1.page-title .tag-repeat")).to_contain_text("重复报警")
    expect(page.locator("[data-repeats-of]")).to_contain_text(earlier.number)

    page.fill("#site-search", "138 0000 5555")
    page.press("#site-search", "Enter")
    group = page.locator('[data-search-group="incident"]')
    expect(group).to_contain_text(taken.number)
    expect(group).not_to_contain_text(earlier.number)
    group.locator("a", has_text=taken.number).click()
    expect(page.locator("h1.page-title")).to_contain_text(taken.number)
    assert not page.external_requests
