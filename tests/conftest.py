import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from workbooks import build_example  # noqa: E402


@pytest.fixture(scope="session")
def example(tmp_path_factory) -> Path:
    """The example workbook, built fresh by examples/make_example.py (read only: tests copy it to change it)."""
    return build_example(tmp_path_factory.mktemp("example") / "申报汇总表-2024.xlsx")

