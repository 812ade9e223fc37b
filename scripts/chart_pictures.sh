#!/usr/bin/env bash
# The README's pictures of the 财政局 charts (docs/charts/): the shipped example compared at
# min_credit_score = 90 and swept over 60…90, and the forecast after recording its 2024 payouts in a scratch
# ledger (paid on 2025-01-15, from 2025), printed through LibreOffice, chart pages cut out as PNG.
# Needs soffice and pdftoppm.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/charts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'min_credit_score = 90\n' > "$work/口径-90.toml"
.venv/bin/subsidy compare examples/申报汇总表-2024.xlsx --year 2024 --config "$work/口径-90.toml" \
    -o "$work/compare.xlsx" > /dev/null
.venv/bin/subsidy compare examples/申报汇总表-2024.xlsx --year 2024 --sweep min_credit_score=60:90:5 \
    -o "$work/sweep.xlsx" > /dev/null
.venv/bin/subsidy ledger init --ledger "sqlite:///$work/ledger.db" > /dev/null
.venv/bin/subsidy ledger record examples/奖励明细表-2024.json --approved-by 示例 --paid-on 2025-01-15 \
    --ledger "sqlite:///$work/ledger.db" > /dev/null
.venv/bin/subsidy forecast --ledger "sqlite:///$work/ledger.db" --from 2025 -o "$work/forecast.xlsx" > /dev/null
for f in compare sweep forecast; do
    soffice --headless "-env:UserInstallation=file://$work/lo" --convert-to pdf --outdir "$work" "$work/$f.xlsx" \
        > /dev/null 2>&1
done
mkdir -p "$out"
page() {  # page FILE N NAME: page N of FILE.pdf at 90 dpi, cut to the chart (26 x 17 cm at the top-left margins)
    pdftoppm -png -r 90 -f "$2" -l "$2" -x 36 -y 44 -W 940 -H 622 -singlefile "$work/$1.pdf" "$out/$3"
}
n=$(pdfinfo "$work/compare.pdf" | awk '/^Pages/ {print $2}')
page compare $((n - 1)) compare-treasuries
page compare "$n" compare-difference
n=$(pdfinfo "$work/sweep.pdf" | awk '/^Pages/ {print $2}')
page sweep $((n - 1)) sweep-total
page sweep "$n" sweep-treasuries
n=$(pdfinfo "$work/forecast.pdf" | awk '/^Pages/ {print $2}')
page forecast $((n - 1)) forecast-total
page forecast "$n" forecast-treasuries
ls -l "$out"
