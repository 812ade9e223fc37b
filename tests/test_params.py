"""SPEC 3: interpretation parameters — defaults and --config overrides; a bad key or value is an error."""
from decimal import Decimal

import pytest

from factory import PACK
from subsidy import params
from subsidy.errors import ConfigError


def load_text(tmp_path, text):
    p = tmp_path / "口径.toml"
    p.write_text(text, encoding="utf-8")
    return params.load(p, PACK)


def test_defaults_are_the_spec_defaults():
    p = params.defaults(PACK)
    assert p.min_credit_score == 70 and p.tier_upgrade == "top_up" and p.cap_allocation == "proportional"
    assert p.city_share["珠山区"] == Decimal("0.5") and p.city_share["市本级"] == Decimal("1.0")
    assert (str(p.validity_start), str(p.validity_end)) == ("2023-01-13", "2028-01-12")


def test_overrides_are_read_exactly_without_float(tmp_path):
    p = load_text(tmp_path, 'min_credit_score = 75.5\ncap_allocation = "priority"\n[city_share]\n"珠山区" = 0.3\n')
    assert p.min_credit_score == Decimal("75.5") and p.city_share["珠山区"] == Decimal("0.3")
    assert p.city_share["昌江区"] == Decimal("0.5")


def test_validity_as_a_pair_of_dates(tmp_path):
    p = load_text(tmp_path, 'validity = [2023-02-01, "2027-12-31"]\n')
    assert (str(p.validity_start), str(p.validity_end)) == ("2023-02-01", "2027-12-31")


BAD = [
    pytest.param('foo = 1\n', "配置文件中有未知的配置项“foo”", id="an unknown key is refused"),
    pytest.param('tier_upgrade = "half"\n', "配置项 tier_upgrade 的值“half”无效（可选：top_up、full）",
                 id="an unknown choice is refused"),
    pytest.param('min_credit_score = "abc"\n', "配置项 min_credit_score 的值“abc”不是数字", id="a non-number score"),
    pytest.param('[city_share]\n"南昌" = 0.3\n', "配置项 city_share 中的注册地“南昌”不是本市的注册地",
                 id="a region that is not local"),
    pytest.param('[city_share]\n"珠山区" = 1.3\n', "配置项 city_share.珠山区 的值“1.3”应在 0 到 1 之间",
                 id="a share above one"),
    pytest.param('validity = ["2028-01-01", "2023-01-01"]\n', "配置项 validity 的结束日期 2023-01-01 早于开始日期 2028-01-01",
                 id="validity ending before it starts"),
    pytest.param('min_credit_score = \n', "第1行第20列：值无效", id="a file that is not TOML"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_config_is_an_error_naming_the_value(tmp_path, text, message):
    with pytest.raises(ConfigError) as e:
        load_text(tmp_path, text)
    assert message in str(e.value)


def test_a_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="找不到配置文件："):
        params.load(tmp_path / "nope.toml", PACK)


def test_the_city_level_share_cannot_be_split(tmp_path):
    with pytest.raises(ConfigError, match="市本级企业的受益财政就是市财政，只能为 1"):
        load_text(tmp_path, '[city_share]\n"市本级" = 0.5\n')
    assert load_text(tmp_path, '[city_share]\n"市本级" = 1.0\n').city_share["市本级"] == 1


def test_the_pack_data_reads_the_same_with_libyaml_as_with_the_pure_python_loader():
    """policy.load_yaml takes libyaml's safe loader when PyYAML has it: the pack's data must be what the pure-Python
    safe loader reads (dates, decimals written as text, nested lists)."""
    from pathlib import Path

    import yaml

    from subsidy.policy import load_yaml

    path = Path(__file__).parents[1] / "policies" / "jdz_2023" / "parameters.yaml"
    assert load_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))
