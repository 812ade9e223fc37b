#!/usr/bin/env bash
# Newcomer's first command: set up, then assess the shipped 2024 example batch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/subsidy assess examples/申报汇总表-2024.xlsx --year 2024 -o out/奖励明细表-2024.xlsx --json out/奖励明细表-2024.json
