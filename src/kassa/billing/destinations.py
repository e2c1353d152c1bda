"""Destination groups of voice usage on invoices, and the names they are shown by.

Voice usage is rated usage counted in seconds (``unit == "second"``): each of its entries
carries the prefix of the rate that priced it. Closing a period sums such usage per service
and rate prefix, one invoice line per destination group, whatever the service is called;
usage in other units is summed per service and unit, and usage without units (money usage) per
service, as it always was.

A group is named by the rate's description when it has one; else by the place the prefix dials
as the phonenumbers geocoder knows it (``4420``: London), else by the country of its calling
code (``44``, ``447``: United Kingdom), else ``+<prefix>`` (a prefix too short for a calling
code, or a non-geographic one such as ``882``). The ``""`` prefix, the rate that matches every
other destination, is "Other destinations".
"""

from __future__ import annotations

from functools import lru_cache

from kassa.core.vocabulary import RatingUnit

OTHER_DESTINATIONS = "Other destinations"
# What a group is labelled in (the geocoder's data is in many languages).
LANGUAGE = "en"
# The invoice line's description column.
MAX_DESCRIPTION = 200


DESTINATION_UNIT = RatingUnit.SECOND


def groups_by_destination(unit: str | None) -> bool:
    return unit == DESTINATION_UNIT


@lru_cache(maxsize=4096)
def destination_label(prefix: str, description: str | None) -> str:
    """What the destination group of ``prefix`` is called on an invoice."""
    if description and description.strip():
        return description.strip()
    if prefix == "":
        return OTHER_DESTINATIONS
    if not prefix.isdigit():
        return prefix
    return _area(prefix) or _country(prefix) or f"+{prefix}"


def _area(prefix: str) -> str:
    # Imported when first needed: the geocoder's data takes a third of a second and some
    # memory to load, which only a process that labels destinations should pay.
    from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX

    # The longest prefix of the rate's that the geocoder names: a rate for 44207 is in London
    # when the geocoder knows 4420 as London.
    for end in range(min(len(prefix), GEOCODE_LONGEST_PREFIX), 0, -1):
        name = GEOCODE_DATA.get(prefix[:end], {}).get(LANGUAGE)
        if name:
            return name
    return ""


def _country(prefix: str) -> str:
    import phonenumbers
    from phonenumbers import geocoder

    # Calling codes are one to three digits and none is the start of another.
    for size in range(1, min(len(prefix), 3) + 1):
        region = phonenumbers.region_code_for_country_code(int(prefix[:size]))
        if region == phonenumbers.UNKNOWN_REGION:
            continue
        # A calling code shared by several countries (1, 7, 44) names its main one; a
        # non-geographic one (800, 882) has no example number and so no name.
        example = phonenumbers.example_number(region)
        return geocoder.country_name_for_number(example, LANGUAGE) if example else ""
    return ""


def usage_description(service_label: str, prefix: str, rate_description: str | None) -> str:
    return f"{service_label}: {destination_label(prefix, rate_description)}"[:MAX_DESCRIPTION]
