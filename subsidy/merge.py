"""`subsidy merge`: the companies' application files joined into one batch workbook (申报汇总表).

Every file is read with the reader's own contract (SPEC 4), so a file that is not an application workbook is
refused by name. The merge is all or nothing: every problem of every file is collected, and if there is one, nothing
is written (:class:`MergeRefused` lists them all). What it refuses, because each could change money without a word:

* a file that cannot be read, or a row in it that cannot be read (the merged batch would only make it 待补正, and
  the bureau would not know which company to ask): named with its sheet, row, column and value;
* two files with the same content (the same application sent twice);
* a claim without 申报编号 (its stand-in, ``申报事项:行号``, changes when the rows are joined);
* the same 申报编号 in two files (two claims, or one claim sent twice: the bureau decides which file stands);
* the same company with different facts in two files: each differing cell is named with both files — the facts
  compared as the reader understood them, so ``12.5万`` and ``125000`` are the same fact, and a row that differs
  only in 地方留成税收(元) is refused, never "last one wins";
* the same deposit project (company and project) or the same payout (the engine's key: company, category, reward
  year and, for a reward paid per project or subject, the project) listed differently in two files.

What it joins: the same company with identical facts is one 企业 row; a deposit project or a payout listed
identically in several files is written once (counted twice, a payout would lower a top-up or use up the cap
twice). Claims of different companies for the same project are kept: the engine's co-winners rule decides.

Every input row is in the output or in a refusal: :class:`Merged` keeps, for each output row, the file rows it
stands for, and the 收件清单 sheet reconciles received = written + joined, per sheet.
"""
from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .engine import payout_key
from .errors import SubsidyError, UnreadableInput
from .export import unreadable_rows
from .models import Batch, Claim, Company, DepositRow, HqClaim, Payout
from .paths import same_file
from .policy import PolicyPack
from .text import natural_key, norm_label, norm_subject
from .workbook.application import COLUMNS, ApplicationRows, fact_text, facts

COMPANY, CLAIM, HQ, DEPOSIT, HISTORY = COLUMNS  # the five sheets, in the template's order
SHEETS = tuple(COLUMNS)
#: suffixes of files a folder scan hands to the reader (which refuses every one that is not .xlsx, by content)
SPREADSHEETS = frozenset({".xlsx", ".xlsm", ".xltx", ".xls", ".xlsb", ".ods", ".et", ".csv", ".numbers"})


class MergeRefused(SubsidyError):
    """The files cannot be merged as they are; :attr:`problems` names each problem (one Chinese sentence each)."""

    exit_code = 1

    def __init__(self, problems: Sequence[str], *, unreadable: bool = False):
        self.problems = list(problems)
        if unreadable:  # a file that is not an application workbook: as for assess, exit 2
            self.exit_code = 2
        super().__init__(f"合并未完成：发现 {len(self.problems)} 处问题（见上），未写出任何文件")


@dataclass(frozen=True)
class Source:
    """Where an output row came from: a file, its sheet and Excel row."""

    file: str
    sheet: str
    row: int | None

    def text(self) -> str:
        return f"{self.file}“{self.sheet}”表第{self.row}行"


@dataclass(frozen=True)
class Received:
    """One input file as 收件清单 lists it."""

    name: str  # the path as the user gave it or the folder scan found it
    sha256: str
    companies: tuple[tuple[str, str], ...]  # (统一社会信用代码, 企业名称), by code
    rows: dict[str, int]  # sheet → data rows read
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Skipped:
    """A file a folder scan found and did not read, and why."""

    name: str
    why: str


@dataclass
class Merged:
    """The merged batch: rows as the reader read them, sorted; for each row the file rows it stands for."""

    received: list[Received]
    skipped: list[Skipped]
    rows: ApplicationRows
    sources: dict[str, list[list[Source]]]  # sheet → per output row, its file rows
    notes: list[str] = field(default_factory=list)
    merged_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    def received_rows(self, sheet: str) -> int:
        return sum(r.rows[sheet] for r in self.received)

    def written_rows(self, sheet: str) -> int:
        return len(self.sources[sheet])

    def joined_rows(self, sheet: str) -> int:
        """File rows written as one with an identical row of another file."""
        return sum(len(s) - 1 for s in self.sources[sheet])


# --------------------------------------------------------------------------- which files


def collect(args: Sequence[Path], *, output: Path | None = None) -> tuple[list[Path], list[Skipped]]:
    """The files named, and those found in the folders named (recursively, in name order). A folder's hidden
    files, Excel's lock files (~$…), files that are not spreadsheets and the merge's own output are not read —
    each is returned as Skipped. A file named twice is read once."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for a in args:
        if not a.is_dir():
            files.append(a)  # read whatever it is: the reader says what is wrong with it
            continue
        found: list[Path] = []
        for root, dirs, names in os.walk(a):
            dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
            for n in names:
                found.append(Path(root) / n)
        for p in sorted(found, key=lambda p: natural_key(str(p))):
            n = p.name
            if output is not None and same_file(p, output):
                skipped.append(Skipped(str(p), "本次合并的输出文件"))
            elif n.startswith("~$"):
                skipped.append(Skipped(str(p), "Excel 打开文件时生成的临时文件"))
            elif n.startswith("."):
                skipped.append(Skipped(str(p), "隐藏文件"))
            elif p.suffix.lower() in SPREADSHEETS:
                files.append(p)
            else:
                skipped.append(Skipped(str(p), "不是 Excel 工作簿（.xlsx）"))
    unique: list[Path] = []
    for p in files:
        if any(same_file(p, q) for q in unique):
            skipped.append(Skipped(str(p), "重复给出的文件，只读一次"))
        else:
            unique.append(p)
    return sorted(unique, key=lambda p: natural_key(str(p))), skipped


# --------------------------------------------------------------------------- reading


def read_files(files: Sequence[Path], *, pack: PolicyPack) -> tuple[list[tuple[str, Batch]], list[str]]:
    """Each file read with the reader's contract; the refusals, one sentence each, naming the file."""
    from .paths import read_input
    from .workbook import guard
    from .workbook.reader import read_bytes

    read: list[tuple[str, Batch]] = []
    refused: list[str] = []
    for p in files:
        name = str(p)
        try:
            data = read_input(p, max_bytes=guard.MAX_FILE_BYTES, what="申报表")
            read.append((name, read_bytes(data, pack=pack, name=name)))
        except UnreadableInput as e:
            refused.append(str(e))  # the reader names the file and what is wrong with it
    return read, refused


# --------------------------------------------------------------------------- merging


def merge(files: Sequence[Path], *, pack: PolicyPack, skipped: Sequence[Skipped] = (),
          now: Callable[[], dt.datetime] | None = None) -> Merged:
    """Read and merge ``files``; MergeRefused (naming every problem) when they cannot be merged as they are."""
    if not files:
        raise MergeRefused(["没有找到要合并的申报表（.xlsx 文件）"], unreadable=True)
    read, refused = read_files(files, pack=pack)
    try:
        merged = merge_batches(read, pack=pack, skipped=skipped)
    except MergeRefused as e:  # every problem at once: the files that cannot be read, then the others' conflicts
        raise MergeRefused(refused + e.problems, unreadable=bool(refused)) from None
    if refused:
        raise MergeRefused(refused, unreadable=True)
    if now is not None:
        merged.merged_at = now()
    return merged


def merge_batches(inputs: Sequence[tuple[str, Batch]], *, pack: PolicyPack,
                  skipped: Sequence[Skipped] = ()) -> Merged:
    """The merge itself, on batches already read: (file name, batch) per file, in any order."""
    inputs = sorted(inputs, key=lambda x: natural_key(x[0]))
    problems: list[str] = []

    # identical files: the same application twice
    by_sha: dict[str, list[str]] = defaultdict(list)
    for name, b in inputs:
        by_sha[b.input_sha256].append(name)
    for names in by_sha.values():
        if len(names) > 1:
            problems.append(f"{'、'.join(names)} 内容完全相同（同一份申报表收到了{len(names)}次），请只保留一份后再合并")

    for name, b in inputs:
        problems += unreadable_rows(b, prefix=f"{name}无法读取的行：")
        for w in (*b.claims, *b.hq_claims):
            if w.claim_id == f"{w.sheet}:{w.row}":
                problems.append(f"{name}“{w.sheet}”表第{w.row}行没有申报编号：合并后行号改变，编号无法保持，请填写申报编号"
                                f"（如 统一社会信用代码-序号：{w.credit_code}-01）")

    companies, company_sources = _companies(inputs, pack, problems)
    claims, hqs, claim_sources, hq_sources = _claims(inputs, pack, problems)
    deposits, deposit_sources = _keyed(inputs, pack, problems, DEPOSIT, lambda b: b.deposits,
                                       lambda d: (d.credit_code, norm_subject(d.project)),
                                       lambda d: (d.settlement_amount,), _deposit_what)
    history, history_sources = _keyed(inputs, pack, problems, HISTORY, lambda b: b.history,
                                      lambda p: payout_key(p, pack),  # the engine's: one payout, one key
                                      lambda p: (p.paid_on, p.amount), _payout_what)
    if problems:
        raise MergeRefused(problems)

    received = [_received(name, b) for name, b in inputs]
    rows = ApplicationRows(companies=companies, claims=claims, hq_claims=hqs, deposits=deposits, history=history,
                           history_sheet=any(b.history_given for _, b in inputs))
    merged = Merged(received=received, skipped=list(skipped), rows=rows,
                    sources={COMPANY: company_sources, CLAIM: claim_sources, HQ: hq_sources,
                             DEPOSIT: deposit_sources, HISTORY: history_sources})
    merged.notes = _notes(inputs, rows, pack)
    return merged


def _companies(inputs, pack: PolicyPack, problems: list[str]) -> tuple[list[Company], list[list[Source]]]:
    seen: dict[str, list[tuple[str, Company]]] = defaultdict(list)
    for name, b in inputs:
        for c in b.companies:
            seen[c.credit_code].append((name, c))
    out: list[Company] = []
    sources: list[list[Source]] = []
    for code in sorted(seen):
        group = seen[code]
        first_name, first = group[0]
        base = facts(COMPANY, first, pack)
        for name, c in group[1:]:
            other = facts(COMPANY, c, pack)
            for column in COLUMNS[COMPANY]:
                a, b = base[column], other[column]
                if column == "企业名称":  # a name is the same name whatever its spaces
                    same = norm_label(a) == norm_label(b)
                else:
                    same = a == b
                if not same:
                    problems.append(
                        f"企业“{code}”（{first.name}）的“{column}”在两个文件中不同：{first_name}“企业”表第{first.row}行为"
                        f"“{fact_text(COMPANY, column, a)}”，{name}“企业”表第{c.row}行为“{fact_text(COMPANY, column, b)}”"
                        "：请与企业核实，更正后再合并")
        out.append(first)
        sources.append([Source(name, COMPANY, c.row) for name, c in group])
    return out, sources


def _claims(inputs, pack: PolicyPack, problems: list[str]):
    by_id: dict[str, list[tuple[str, Claim | HqClaim]]] = defaultdict(list)
    for name, b in inputs:
        for w in (*b.claims, *b.hq_claims):
            by_id[w.claim_id].append((name, w))
    claims: list[Claim] = []
    hqs: list[HqClaim] = []
    claim_sources: list[list[Source]] = []
    hq_sources: list[list[Source]] = []
    for claim_id in sorted(by_id, key=natural_key):
        group = by_id[claim_id]
        if len(group) > 1:
            where = "、".join(f"{name}“{w.sheet}”表第{w.row}行" for name, w in group)
            same = all(w.sheet == group[0][1].sheet and facts(w.sheet, w, pack) == facts(w.sheet, group[0][1], pack)
                       for _, w in group[1:])
            why = ("两行内容相同，可能是同一份申报重复提交，请只保留一份" if same
                   else "申报编号须唯一，请确认是哪一份申报，更正编号或删去重复的申报后再合并")
            problems.append(f"申报编号“{claim_id}”在多个文件中重复：{where}（{why}）")
            continue
        name, w = group[0]
        if isinstance(w, Claim):
            claims.append(w)
            claim_sources.append([Source(name, w.sheet, w.row)])
        else:
            hqs.append(w)
            hq_sources.append([Source(name, w.sheet, w.row)])
    return claims, hqs, claim_sources, hq_sources


def _deposit_what(d: DepositRow, pack: PolicyPack) -> str:
    return f"企业“{d.credit_code}”的质量保证金项目“{d.project}”"


def _payout_what(p: Payout, pack: PolicyPack) -> str:
    subject = f"“{p.subject}”" if p.subject else ""
    return f"企业“{p.credit_code}”{p.reward_year}年度的已兑现奖励“{pack.category(p.category).label}”{subject}"


def _keyed(inputs, pack: PolicyPack, problems: list[str], sheet: str, rows_of, key_of, value_of, what):
    """Rows with a key (deposit project, payout): per key, the files that list it must list the same values
    (the same number of rows, the same amounts and dates); then they are written once, from the first file."""
    by_key: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for name, b in inputs:
        for row in rows_of(b):
            by_key[key_of(row)][name].append(row)
    out: list[Any] = []
    sources: list[list[Source]] = []
    for key in sorted(by_key, key=_sortable):
        files = by_key[key]
        names = list(files)
        for rows in files.values():
            rows.sort(key=value_of)
        first = names[0]
        values = [value_of(r) for r in files[first]]
        differing = [n for n in names[1:] if [value_of(r) for r in files[n]] != values]
        if differing:
            listed = "；".join(
                f"{n}：" + "、".join(f"“{sheet}”表第{r.row}行 {_values_text(sheet, r, pack)}" for r in files[n])
                for n in names)
            problems.append(f"{what(files[first][0], pack)}在多个文件中不同（{listed}）：同一事项只能有一种记录，"
                            "请核实后更正再合并")
            continue
        for i, row in enumerate(files[first]):
            out.append(row)
            sources.append([Source(n, sheet, files[n][i].row) for n in names])
    return out, sources


def _values_text(sheet: str, row: Any, pack: PolicyPack) -> str:
    f = facts(sheet, row, pack)
    if sheet == DEPOSIT:
        cols = ("工程价款结算总额(元)",)
    else:
        cols = ("兑现日期", "兑现金额(元)")
    return "，".join(f"{c} {fact_text(sheet, c, f[c])}" for c in cols)


def _sortable(key: tuple) -> tuple:
    return tuple((0, x) if isinstance(x, int) else (1, natural_key(str(x))) for x in key)


# --------------------------------------------------------------------------- what 收件清单 says


def _received(name: str, b: Batch) -> Received:
    rows = {COMPANY: len(b.companies), CLAIM: len(b.claims), HQ: len(b.hq_claims), DEPOSIT: len(b.deposits),
            HISTORY: len(b.history)}
    notes: list[str] = []
    if not b.companies:
        notes.append("没有企业：本文件没有任何申报")
    if not b.history_given:
        notes.append("没有“已兑现奖励”表：其企业的往年兑现无法核对（核定时请用兑现账本 --ledger）")
    bad = {(s, r) for s, r, _ in b.bad_rows}
    notes += [f"“{i.sheet}”表：{i.message}" for i in b.issues if (i.sheet, i.row) not in bad]
    companies = tuple(sorted((c.credit_code, c.name) for c in b.companies))
    return Received(name=name, sha256=b.input_sha256, companies=companies, rows=rows, notes=tuple(notes))


def _notes(inputs, rows: ApplicationRows, pack: PolicyPack) -> list[str]:
    """What the bureau should know before assessing: the same name under two codes, projects claimed by several
    companies (the co-winners rule will decide them)."""
    notes: list[str] = []
    names: dict[str, set[str]] = defaultdict(set)
    for c in rows.companies:
        names[norm_label(c.name)].add(c.credit_code)
    for c in rows.companies:
        codes = names.get(norm_label(c.name), set())
        if len(codes) > 1:
            notes.append(f"企业名称“{c.name}”对应多个统一社会信用代码（{'、'.join(sorted(codes))}），请核实是否为同一企业")
            names.pop(norm_label(c.name))
    subject_cats = {c.code for c in pack.categories if c.key == "subject" and not c.honour_only}
    claimed: dict[tuple[str, str], set[str]] = defaultdict(set)
    shown: dict[tuple[str, str], str] = {}
    for k in rows.claims:
        if k.category in subject_cats and k.subject:
            key = (k.category, norm_subject(k.subject))
            claimed[key].add(k.credit_code)
            shown.setdefault(key, k.subject)
    for key in sorted(claimed, key=lambda k: (k[0], natural_key(k[1]))):
        codes = claimed[key]
        if len(codes) > 1:
            notes.append(f"{pack.category(key[0]).label}“{shown[key]}”由 {len(codes)} 家企业申报（"
                         f"{'、'.join(sorted(codes))}）：按“每项”奖励，是否分享一项奖励由住建局认定（核定时待补正，"
                         "见口径“同一奖项多家企业申报”）")
    return notes
