"""The award schedule opens in LibreOffice: rendered to PDF headless, its totals are the JSON's to the fen."""
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from subsidy.cli import main

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "申报汇总表-2024.xlsx"


@pytest.mark.skipif(not (SOFFICE and PDFTOTEXT), reason="LibreOffice 或 pdftotext 未安装")
def test_libreoffice_renders_the_schedule_with_the_json_totals(tmp_path, capsys):
    out, js = tmp_path / "奖励明细表.xlsx", tmp_path / "r.json"
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(out), "--json", str(js)]) == 0
    capsys.readouterr()
    p = subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                        "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                       capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "奖励明细表.pdf"
    assert pdf.exists(), p.stderr
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    res = json.loads(js.read_text(encoding="utf-8"))
    assert f"{Decimal(res['totals']['payable']):,.2f}" in text
    for payer, amount in res["totals"]["by_payer"].items():
        assert payer in text and f"{Decimal(amount):,.2f}" in text
    assert "2024-001" in text and "H2024-03" in text  # the line sheet rendered, first and last line
