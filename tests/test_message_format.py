"""The pack's message_format(code, measure) is its message(code, measure, **fields) with the template looked up once
(the engine writes one message for thousands of claims): the two must give the same text for every message."""
import datetime as dt
from decimal import Decimal
from string import Formatter

import pytest

from policies import jdz_2023
from policies.jdz_2023 import message, message_format

_MEASURES = (None, *range(1, 25))


def _fields(template: str) -> dict[str, str]:
    return {name: f"〈{name}〉" for _, name, _, _ in Formatter().parse(template) if name and name != "article"}


@pytest.mark.parametrize("key", sorted(jdz_2023._MESSAGES, key=str))
def test_message_format_writes_what_message_writes_for_every_template(key):
    code = key if isinstance(key, str) else key[0]
    for measure in _MEASURES:
        fields = _fields(jdz_2023._MESSAGES.get((code, measure)) or jdz_2023._MESSAGES.get(code) or code)
        assert message_format(code, measure)(**fields) == message(code, measure, **fields)


def test_an_article_among_the_fields_wins_as_in_message():
    fields = {"label": "鲁班奖", "subject": "瓷都大厦", "others": "某公司"}
    written = message_format("CO_WINNERS", 6)(article="某条", **fields)
    assert written == message("CO_WINNERS", 6, article="某条", **fields) and written.startswith("某条：")


@pytest.mark.parametrize("value", ["100%", "%s", "%(x)s", "{label}", "", Decimal("0.0075"), 12, dt.date(2024, 5, 1),
                                   "鲁班奖（第6条）"])
def test_any_value_is_written_as_str_format_writes_it(value):
    """message_format fills a template by %-formatting: a value holding %, braces, a number or a date must come out
    as message's str.format writes it."""
    for key in jdz_2023._MESSAGES:
        code = key if isinstance(key, str) else key[0]
        measure = None if isinstance(key, str) else key[1]
        fields = {name: value for name in _fields(jdz_2023._MESSAGES[key])}
        assert message_format(code, measure)(**fields) == message(code, measure, **fields)
