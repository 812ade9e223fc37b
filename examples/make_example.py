"""Build examples/申报汇总表-2024.xlsx: a realistic 2024 batch touching every rule of the policy.

Run: .venv/bin/python examples/make_example.py   (deterministic: the same workbook every time)
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from subsidy.uscc import ALPHABET, check_char  # noqa: E402
from subsidy.workbook.schema import SHEETS  # noqa: E402

OUT = Path(__file__).with_name("申报汇总表-2024.xlsx")


def org_check(body8: str) -> str:
    vals = [int(c) if c.isdigit() else ord(c) - 55 for c in body8]
    s = sum(v * w for v, w in zip(vals, [3, 7, 9, 10, 5, 8, 4, 2]))
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc(n: int, division: str) -> str:
    body = "MA" + f"{n:06d}"
    first17 = "91" + division + body + org_check(body)
    assert all(ch in ALPHABET for ch in first17)
    return first17 + check_char(first17)


C = {  # key → (code, name, region, score, blacklist, arrears, accident, fraud, tax, moved out)
    "ciduo": (uscc(101, "360203"), "景德镇瓷都建设集团有限公司", "珠山区", 92, "否", "否", "无", "否", 3_000_000, None),
    "changjiang": (uscc(102, "360202"), "景德镇昌江建工有限公司", "昌江区", 85, "否", "否", "无", "否", 100_000, None),
    "gandong": (uscc(103, "360200"), "赣东建设工程有限公司", "高新区", 88, "否", "否", "无", "否", 2_000_000, None),
    "leping": (uscc(104, "360281"), "乐平市第一建筑有限公司", "乐平市", 75, "否", "否", "一般", "否", 1_000_000, None),
    "fuliang": (uscc(105, "360222"), "浮梁县宏达建设有限公司", "浮梁县", 95, "否", "否", "无", "否", 5_000_000, None),
    "chengtou": (uscc(106, "360200"), "景德镇城投建设有限公司", "市本级", 90, "否", "否", "无", "否", 4_000_000, None),
    "jianke": (uscc(107, "360203"), "景德镇建科工程监理有限公司", "珠山区", 82, "否", "否", "无", "否", 800_000, None),
    "design": (uscc(108, "360200"), "景德镇陶瓷建筑设计院有限公司", "昌南新区", 91, "否", "否", "无", "否", 900_000, None),
    "newhq": (uscc(109, "360200"), "中赣建设集团景德镇有限公司", "昌南新区", None, "否", "否", "无", "否", 1_500_000, None),
    "arrears": (uscc(110, "360203"), "景德镇鑫诚建筑有限公司", "珠山区", 78, "否", "是", "无", "否", 2_000_000, None),
    "outside": (uscc(111, "360100"), "南昌洪都建设集团有限公司", "市外", 95, "否", "否", "无", "否", 5_000_000, None),
    "blacklist": (uscc(112, "360202"), "景德镇恒达建设有限公司", "昌江区", 71, "是", "否", "无", "否", 600_000, None),
    "lowscore": (uscc(113, "360222"), "浮梁县兴旺建筑工程有限公司", "浮梁县", 65.5, "否", "否", "无", "否", 300_000, None),
    "accident": (uscc(114, "360281"), "乐平市安居建设有限公司", "乐平市", 83, "否", "否", "较大", "否", 700_000, None),
    "fraud": (uscc(115, "360203"), "景德镇宏图建设有限公司", "珠山区", 88, "否", "否", "无", "是", 900_000, None),
    "moved": (uscc(116, "360202"), "景德镇远航建设有限公司", "昌江区", 86, "否", "否", "无", "否", 1_200_000,
              "2024-09-30"),
    "notax": (uscc(117, "360200"), "景德镇鼎盛建设有限公司", "高新区", 80, "否", "否", "无", "否", None, None),
}
BAD_CODE = "91360203MA00011800"  # a company row whose 统一社会信用代码 fails its check character
UNKNOWN = uscc(199, "360203")  # a valid code that is not in the 企业 sheet


def code(key: str) -> str:
    return C[key][0]


COMPANIES = [list(v) for v in C.values()] + [
    [BAD_CODE, "景德镇错码建设有限公司", "珠山区", 80, "否", "否", "无", "否", 500_000, None],
]

CLAIMS = [
    # 申报编号, company, 奖励类别, 项目或证书名称, 获批日期, 其他政策名称, 其他政策金额, 其他政策已兑现
    ("2024-001", "ciduo", "鲁班奖", "瓷都大厦", dt.date(2024, 11, 20), None, None, None),
    ("2024-002", "ciduo", "杜鹃花奖", "瓷都大厦", "2024-06-01", None, None, None),
    ("2024-003", "ciduo", "省优良工程", "昌江花园二期", "2024/3/15", None, None, None),
    ("2024-004", "ciduo", "国家级工法", "装配式叠合板施工工法", "2024年5月1日", None, None, None),
    ("2024-005", "ciduo", "施工总承包一级资质", "D236000001", "2024-02-01", None, None, None),
    ("2024-006", "ciduo", "市优良工程", "瓷都大厦", "2024-09-01", None, None, None),
    ("2024-007", "changjiang", "国家级企业技术中心", "国家企业技术中心", "2024-04-01", None, None, None),
    ("2024-008", "changjiang", "杜鹃花奖", "景德镇学院图书馆", "2024-07-01", None, None, None),
    ("2024-009", "changjiang", "省优良工程", "浮梁中学教学楼", "2024-08-01", None, None, None),
    ("2024-010", "gandong", "省级装配式建筑产业基地", "赣东PC构件基地", "2024-05-20", None, None, None),
    ("2024-011", "leping", "省级企业技术中心", "乐平一建技术中心", "2024-09-01", "省科技厅企业技术中心奖励", "100,000", "是"),
    ("2024-012", "leping", "主编省级行业标准", "DBJ/T36-070 装配式混凝土结构技术标准", "2024-10-15", "市科技局标准化奖励", "1万", "否"),
    ("2024-013", "fuliang", "施工总承包特级资质", "D136000099", "2024-08-08", None, None, None),
    ("2024-014", "fuliang", "国家级装配式建筑产业基地", "宏达钢结构产业基地", "2024-12-01", None, None, None),
    ("2024-015", "fuliang", "主编国家级行业标准", "JGJ/T 500 钢结构装配式住宅技术标准", "2024-06-30", "省住建厅标准奖励", 80000, "否"),
    ("2024-016", "fuliang", "省级工法", "钢结构高空滑移施工工法", "2023-12-28", None, None, None),
    ("2024-017", "chengtou", "国家级装配式建筑产业基地", "城投装配式建筑产业园", "2024-03-18", None, None, None),
    ("2024-018", "jianke", "监理综合资质", "E136000123", "2024-04-25", None, None, None),
    ("2024-019", "design", "设计行业综合甲级资质", "A136000456", "2024-07-07", None, None, None),
    ("2024-020", "design", "市安全文明工地", "御窑遗址公园配套工程", "2024-05-05", None, None, None),
    ("2024-021", "arrears", "鲁班奖", "景德镇市民服务中心", "2024-11-20", None, None, None),
    ("2024-022", "outside", "省级工法", "大跨度钢桁架施工工法", "2024-05-05", None, None, None),
    ("2024-023", "blacklist", "省优良工程", "昌江区人民医院门诊楼", "2024-04-04", None, None, None),
    ("2024-024", "lowscore", "省级工法", "仿古建筑木构件安装工法", "2024-06-06", None, None, None),
    ("2024-025", "accident", "杜鹃花奖", "乐平市体育中心", "2024-07-07", None, None, None),
    ("2024-026", "fraud", "国家级工法", "陶瓷外墙干挂施工工法", "2024-03-03", None, None, None),
    ("2024-027", "moved", "省级企业技术中心", "远航技术中心", "2024-02-02", None, None, None),
    ("2024-028", "notax", "省优良工程", "高新区标准厂房三期", "2024-10-10", None, None, None),
    ("2024-029", "ciduo", "国家级工法", "装配式 叠合板施工工法", "2024-05-01", None, None, None),  # duplicate
    ("2024-030", "gandong", "鲁班奖", "赣东大厦", "2024-02-30", None, None, None),  # impossible date
    ("2024-031", "gandong", "优秀企业家奖", "某某", "2024-03-01", None, None, None),  # unknown category
    ("2024-032", UNKNOWN, "省优良工程", "未登记企业项目", "2024-03-01", None, None, None),  # unknown company
    ("2024-033", BAD_CODE, "省级工法", "错码企业工法", "2024-03-01", None, None, None),  # invalid company row
    ("2024-034", "changjiang", "省级工法", "+ 防渗漏施工工法（=A1 不是公式）", "2024-03-01", None, None, None),
]

HQ = [
    # 申报编号, company, 迁入方式, 资质等级, 落户认定日期, 地方财政贡献
    ("H2024-01", "gandong", "总部迁入", "施工总承包一级", "2023-06-01", 800_000),
    ("H2024-02", "newhq", "设立子公司", "施工总承包特级", "2024-03-01", 1_250_000),
    ("H2024-03", "chengtou", "总部迁入", "施工总承包二级", "2023-09-01", 300_000),
]

DEPOSITS = [
    ("ciduo", "瓷都大厦", 86_500_000), ("ciduo", "昌江花园二期", 42_300_000.5),
    ("changjiang", "景德镇学院图书馆", 23_800_000), ("gandong", "高新区研发楼", 15_000_000),
    ("leping", "乐平市人民医院", 31_250_000), ("fuliang", "浮梁县文体中心", 18_000_000),
    ("arrears", "景德镇市民服务中心", 56_000_000), ("lowscore", "浮梁县乡村道路", 4_000_000),
    ("notax", "高新区标准厂房三期", 12_000_000), ("jianke", "监理项目（不应有保证金）", "-100"),
]

HISTORY = [
    # company, 奖励类别, 项目或证书名称, 奖励年度, 兑现日期, 兑现金额
    ("fuliang", "施工总承包一级资质", "D236000010", 2023, "2023-12-20", 500_000),
    ("fuliang", "省级工法", "钢结构高空滑移施工工法", 2023, "2024-01-15", 20_000),
    ("ciduo", "杜鹃花奖", "昌江花园一期", 2023, "2023-12-20", 200_000),
    ("fraud", "省级企业技术中心", "宏图技术中心", 2023, "2023-12-20", 200_000),
    ("moved", "杜鹃花奖", "远航大厦", 2023, "2023-12-20", 200_000),
    ("moved", "省优良工程", "远航花园", 2023, "2023-12-20", 50_000),
    ("gandong", "总部迁入", None, 2023, "2024-04-30", 350_000),
]


def build(path: Path = OUT) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {s.name: s for s in SHEETS}

    def sheet(name: str, rows: list[list]) -> None:
        ws = wb.create_sheet(name)
        ws.append([c.header for c in sheets[name].columns])
        for r in rows:
            ws.append(r)

    sheet("企业", COMPANIES)
    sheet("申报事项", [[cid, code(k) if k in C else k, cat, subj, on, on_name, amt, was_paid]
                       for cid, k, cat, subj, on, on_name, amt, was_paid in CLAIMS])
    sheet("总部迁入", [[cid, code(k), mode, qual, on, amt] for cid, k, mode, qual, on, amt in HQ])
    sheet("质量保证金", [[code(k), p, amt] for k, p, amt in DEPOSITS])
    sheet("已兑现奖励", [[code(k), cat, subj, y, on, amt] for k, cat, subj, y, on, amt in HISTORY])
    wb.save(path)
    return path


if __name__ == "__main__":
    print(build())
