"""Classify a record into one retention-schedule class from its OCR text.

Two readings are combined:

- the **title**: the first lines of page 1 are fuzzy-matched against every
  class's `typical_titles` (plus titles clerks confirmed), so provincial
  prefixes and suffixes (福建省…, …（单位）) and a garbled character or two do
  not break the match;
- the **body**: a multinomial naive-Bayes model over character 1- and 2-grams
  of the Chinese text, trained on the committed seed set
  (`ingest/data/classifier_seed.jsonl.gz`: the Chinese text of printed forms
  per class, under the schedule's titles) and every record whose class a
  clerk confirmed or corrected.

Each reading gives per-class scores; they are added as logits and turned into
probabilities. The confidence is the top probability. When title and body
disagree the probability mass splits and the record goes to review.

Naive Bayes spreads its probability over the known classes whatever the text
is about, so a vehicle certificate or an advert would still get a confident
class. The **coverage** guards against that: the share of the text's character
bigrams that the agency's classes use (seen at least twice in training: the
schedule's titles and material, the seed forms, confirmed records). Business
forms of every class score 0.8–0.95 (held-out forms with other wordings and
labels included); adverts, tickets and certificates of other authorities score
under 0.3. The confidence is capped by a ramp over the coverage. A text
without a class's title is no business record of a known class when it has too
little Chinese, too little of the classes' vocabulary, or fewer than two of the
schedule's domain terms (医疗, 参保, 缴费 … — a vehicle certificate shares only
登记, 变更, 姓名, 日期 with our forms): no class is proposed
(`Classification.known` is False, `reason` says why in Chinese).

The model is plain JSON (no pickle), stored under `DANGAN_HOME/models/` and
rebuilt when the schedule, the seed set or the confirmed records change. The
archive never runs the form generator: `python -m dangan.synth.classifier_seed`
writes the seed set once, as development tooling.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path

from dangan.retention.schedule import Schedule

log = logging.getLogger(__name__)

MODEL_FORMAT = 2
TITLE_LINES = 6  # lines of page 1 searched for the title
# Logit weights: a title similarity of 1.0 against 0.6 for the runner-up adds
# TITLE_WEIGHT * 0.4 to the logit gap; the body gives BODY_WEIGHT per nat of
# mean log-likelihood per n-gram (held-out forms: median gap 0.7, lowest 0.1).
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 12.0
TITLE_FLOOR = 0.55  # below this a line is not taken as a title at all
# A title this clear that names another class than the body caps the confidence:
# one of the two readings is wrong and a clerk should look.
CLEAR_TITLE = 0.85
DISAGREEMENT_CAP = 0.5
# Vocabulary coverage (share of the text's bigrams the classes use): below
# COVERAGE_FLOOR no class is proposed unless a class's title is printed; from
# there to COVERAGE_FULL the confidence is capped by a linear ramp reaching the
# review threshold's neighbourhood only near COVERAGE_FULL. Chosen on the
# tuning split (generator forms: lowest 0.77) and non-business texts (highest 0.27).
COVERAGE_FLOOR = 0.45
COVERAGE_FULL = 0.7
MIN_CHINESE = 20  # characters of Chinese text needed without a class's title
# Domain terms: the character bigrams of the schedule's own words (titles,
# material, business stage, category) less ordinary administrative words any
# authority's form has (登记, 变更, 日期 …). A vehicle certificate shares 登记,
# 变更, 名称, 号码 with our forms but none of 医疗, 保险, 参保, 缴费, 待遇 …
# Distinct domain terms needed without a class's title (tuning split: 3 sends
# 1.4 % of forms to review for their class, 2 sends 0.9 %; non-business texts have 0).
MIN_DOMAIN_TERMS = 2
GENERIC_BIGRAMS = frozenset(
    """材料 管理 理类 申请 请表 登记 记材 记表 报表 人员 员表 信息 息变 变更 更登 年度 表类
    表及 及审 审核 注销 单位 凭证 证明 记录 检查 报告 通知 知书 意见 建议 方案 证据 清单 明细
    汇总 总表 审批 批表 修改 一次 次性 发放 收回 服务 协议 机构 电子 长期 居住 月度 季度 鉴定
    特殊 内部 控制 认定 定表 关系 支付 申报 领表 申领 处罚 整改 个人 居民 社会 对账 账单 基本
    转移 接续 手工 核定 建议 检查 查记 制检 费用 工资 时间 日期""".split()
)
NOT_BUSINESS = "不是已知门类的业务档案"
_ACTION = "请人工查看：属于本机构业务档案的请选择类别后归档，不属于的请退回提交人。"

_CJK = re.compile(r"[\u3400-\u9fff]+")
_SPACE = re.compile(r"\s+")


def cjk_runs(text: str) -> list[str]:
    return _CJK.findall(text)


def ngrams(text: str) -> list[str]:
    """Character 1- and 2-grams within runs of Chinese characters."""
    out: list[str] = []
    for run in cjk_runs(text):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def title_similarity(line: str, title: str) -> float:
    """How well `title` is found in `line` (0..1): matched characters against
    the title's length and the span of the line they occupy, so a prefix such
    as 福建省 or a suffix such as （单位） costs nothing."""
    if not line or not title:
        return 0.0
    blocks = [
        b
        for b in SequenceMatcher(None, line, title, autojunk=False).get_matching_blocks()
        if b.size
    ]
    if not blocks:
        return 0.0
    matched = sum(b.size for b in blocks)
    span = blocks[-1].a + blocks[-1].size - blocks[0].a
    return 2.0 * matched / (len(title) + span)


def title_lines(pages: Sequence[str]) -> list[str]:
    """Candidate title lines: the first non-empty lines of the first page that
    has any Chinese text, reduced to their Chinese characters."""
    for text in pages:
        lines = []
        for raw in text.splitlines():
            line = "".join(cjk_runs(raw))
            if len(line) >= 3:
                lines.append(line)
            if len(lines) >= TITLE_LINES:
                break
        if lines:
            return lines
    return []


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes with add-one smoothing, serialisable as JSON."""

    classes: dict[str, dict[str, int]] = field(default_factory=dict)  # code -> gram counts
    docs: dict[str, int] = field(default_factory=dict)

    def fit(self, examples: Iterable[tuple[str, str]]) -> NaiveBayes:
        for text, code in examples:
            self.classes.setdefault(code, Counter()).update(ngrams(text))
            self.docs[code] = self.docs.get(code, 0) + 1
        self.classes = {c: dict(v) for c, v in self.classes.items()}
        self._prepare()
        return self

    def _prepare(self) -> None:
        vocab = set()
        for grams in self.classes.values():
            vocab.update(grams)
        self._vocab = len(vocab) + 1
        self._totals = {c: sum(g.values()) for c, g in self.classes.items()}

    def mean_log_likelihood(self, text: str) -> dict[str, float]:
        """Per class: mean log P(gram | class) over the text's n-grams."""
        grams = Counter(ngrams(text))
        n = sum(grams.values())
        if not n:
            return {c: 0.0 for c in self.classes}
        out = {}
        for code, counts in self.classes.items():
            denom = math.log(self._totals[code] + self._vocab)
            total = 0.0
            for gram, k in grams.items():
                total += k * (math.log(counts.get(gram, 0) + 1) - denom)
            out[code] = total / n
        return out

    def to_json(self) -> dict:
        return {"classes": self.classes, "docs": self.docs}

    @classmethod
    def from_json(cls, data: dict) -> NaiveBayes:
        model = cls(classes=data["classes"], docs=data["docs"])
        model._prepare()
        return model


@dataclass
class Model:
    """What `load_or_train` keeps on disk."""

    fingerprint: str
    body: NaiveBayes
    titles: dict[str, list[str]]  # code -> titles (schedule + confirmed)

    def to_json(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "fingerprint": self.fingerprint,
            "titles": self.titles,
            "body": self.body.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        return cls(data["fingerprint"], NaiveBayes.from_json(data["body"]), data["titles"])


@dataclass(frozen=True)
class Classification:
    code: str | None
    confidence: float
    method: str  # "title+body" | "body" (no title line found)
    title: str | None  # the title line as read, when one matched
    candidates: list[tuple[str, float]]  # the best three (code, probability)
    title_code: str | None = None  # what the title alone says
    body_code: str | None = None  # what the body alone says
    coverage: float = 1.0  # share of the text's bigrams the classes use
    known: bool = True  # False: not a business record of a known class
    reason: str | None = None  # why not (Chinese), when not known


class Classifier:
    def __init__(self, schedule: Schedule, model: Model):
        self.schedule = schedule
        self.model = model
        seen: Counter = Counter()
        for grams in model.body.classes.values():
            seen.update({g: k for g, k in grams.items() if len(g) == 2})
        self._vocabulary = frozenset(g for g, k in seen.items() if k >= 2)
        words = " ".join(
            " ".join((*row.titles, row.material, row.business_stage, row.category))
            for row in schedule.rows
        )
        self._domain = frozenset(g for g in _bigrams(words) if g not in GENERIC_BIGRAMS)

    def domain_terms(self, text: str) -> list[str]:
        """The schedule's domain bigrams found in the text (distinct, sorted)."""
        return sorted(self._domain.intersection(_bigrams(text)))

    def coverage(self, text: str) -> float:
        """Share of the text's Chinese bigrams that the classes' vocabulary has."""
        bigrams = _bigrams(text)
        if not bigrams:
            return 0.0
        return sum(g in self._vocabulary for g in bigrams) / len(bigrams)

    def title_scores(self, pages: Sequence[str]) -> tuple[dict[str, float], str | None]:
        """Best title similarity per class and the line that gave the overall best."""
        lines = title_lines(pages)
        scores: dict[str, float] = {}
        best_line, best = None, 0.0
        for code, titles in self.model.titles.items():
            top = 0.0
            for line in lines:
                for title in titles:
                    s = title_similarity(line, title)
                    if s > top:
                        top = s
                    if s > best:
                        best, best_line = s, line
            scores[code] = top
        return scores, (best_line if best >= TITLE_FLOOR else None)

    def classify(self, pages: Sequence[str]) -> Classification:
        codes = [c for c in self.schedule.codes if c in self.model.body.classes]
        if not codes or not any(cjk_runs(t) for t in pages):
            return Classification(
                None, 0.0, "none", None, [], coverage=0.0, known=False,
                reason=f"{NOT_BUSINESS}：没有识别到中文文字。{_ACTION}",
            )  # fmt: skip
        text = "\n".join(pages)
        body = self.model.body.mean_log_likelihood(text)
        titles, title_line = self.title_scores(pages)
        logits = {}
        for code in codes:
            t = titles.get(code, 0.0)
            logits[code] = BODY_WEIGHT * body[code] + (TITLE_WEIGHT * t if title_line else 0.0)
        probs = _softmax(logits)
        ranked = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)
        code, confidence = ranked[0]
        title_code = max(titles, key=titles.get) if title_line else None
        body_code = max(body, key=body.get)
        if title_code and titles[title_code] >= CLEAR_TITLE and title_code != body_code:
            confidence = min(confidence, DISAGREEMENT_CAP)
        coverage = self.coverage(text)
        confidence = min(confidence, _ramp(coverage))
        reason = None
        if not (title_code and titles[title_code] >= CLEAR_TITLE):
            reason = _not_business(text, coverage, len(self.domain_terms(text)))
        return Classification(
            code=None if reason else code,
            confidence=confidence,
            method="title+body" if title_line else "body",
            title=title_line,
            candidates=[(c, round(p, 4)) for c, p in ranked[:3]],
            title_code=title_code,
            body_code=body_code,
            coverage=round(coverage, 4),
            known=reason is None,
            reason=reason,
        )


def _ramp(coverage: float) -> float:
    """The highest confidence a text of this coverage may have."""
    if coverage >= COVERAGE_FULL:
        return 1.0
    if coverage <= COVERAGE_FLOOR:
        return 0.0
    return (coverage - COVERAGE_FLOOR) / (COVERAGE_FULL - COVERAGE_FLOOR)


def _bigrams(text: str) -> list[str]:
    return [run[i : i + 2] for run in cjk_runs(text) for i in range(len(run) - 1)]


def _not_business(text: str, coverage: float, domain: int) -> str | None:
    """Why a text without a class's title is no business record of a known
    class, or None when it may be one."""
    chinese = sum(len(run) for run in cjk_runs(text))
    if chinese < MIN_CHINESE:
        return (
            f"{NOT_BUSINESS}：只识别到 {chinese} 个汉字，也没有门类题名，"
            f"看不出是哪类业务材料。{_ACTION}"
        )
    if coverage < COVERAGE_FLOOR:
        return (
            f"{NOT_BUSINESS}：文字中只有 {coverage:.0%} 是保管期限表各门类业务材料的用语"
            f"（业务材料通常在 80% 以上），也没有门类题名。{_ACTION}"
        )
    if domain < MIN_DOMAIN_TERMS:
        return (
            f"{NOT_BUSINESS}：文字中几乎没有医疗保障业务的用语（如参保、缴费、待遇、报销、稽核），"
            f"也没有门类题名。{_ACTION}"
        )
    return None


def _softmax(logits: dict[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {c: math.exp(v - top) for c, v in logits.items()}
    total = sum(exp.values())
    return {c: v / total for c, v in exp.items()}


# --- training --------------------------------------------------------------

SEED_FILE = "data/classifier_seed.jsonl.gz"
SEED_FORMAT = 1
SEED_WEIGHT = 3  # a record a clerk confirmed counts as much as this many seed forms


@dataclass(frozen=True)
class Seed:
    """The committed training set (ingest/data/classifier_seed.jsonl.gz, written
    by `python -m dangan.synth.classifier_seed`): per class of the default
    schedule the Chinese text of printed forms, plus generic forms without a
    title for classes an agency adds."""

    digest: str
    forms: dict[str, list[tuple[str, str]]]  # code -> (base title, text)
    generic: list[str]


def load_seed() -> Seed:
    data = resources.files("dangan.ingest").joinpath(SEED_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    header = json.loads(lines[0])
    if header.get("format") != SEED_FORMAT:
        raise ValueError(f"{SEED_FILE}: format {header.get('format')!r}, expected {SEED_FORMAT}")
    forms: dict[str, list[tuple[str, str]]] = {}
    generic = []
    for line in lines[1:]:
        record = json.loads(line)
        if record["code"]:
            forms.setdefault(record["code"], []).append((record["title"], record["text"]))
        else:
            generic.append(record["text"])
    return Seed(hashlib.sha256(data).hexdigest()[:16], forms, generic)


def seed_examples(schedule: Schedule, seed: Seed | None = None) -> list[tuple[str, str]]:
    """(text, code) for every class of `schedule`: its seed forms, with the
    schedule's own titles where an agency renamed the class; for a class the
    seed has no forms of, the generic forms under its titles and with the
    words of its schedule row (material, business stage)."""
    seed = seed or load_seed()
    examples = []
    for row in schedule.rows:
        titles = row.titles
        forms = seed.forms.get(row.code)
        if not forms:
            words = f"{row.material} {row.business_stage}"
            forms = [
                (None, f"{titles[i % len(titles)]}\n{words}\n{text}")
                for i, text in enumerate(seed.generic)
            ]
        for i, (title, text) in enumerate(forms):
            if title and title not in titles:
                text = text.replace(title, titles[i % len(titles)])
            examples.append((text, row.code))
    return examples


def _fingerprint(schedule: Schedule, extra: Sequence[tuple[str, str]], seed: Seed) -> str:
    digest = hashlib.sha256()
    digest.update(f"{MODEL_FORMAT}:{seed.digest}:{SEED_WEIGHT}\n".encode())
    for row in schedule.rows:
        words = "|".join((row.code, row.material, row.business_stage, *row.titles))
        digest.update(f"{words}\n".encode())
    for text, code in extra:
        digest.update(f"{code}\0{text}\0".encode())
    return digest.hexdigest()[:16]


def train(
    schedule: Schedule, extra_examples: Sequence[tuple[str, str]] = (), seed: Seed | None = None
) -> Model:
    """A model for `schedule` from the committed seed set plus `extra_examples`
    ((text, code) pairs, e.g. records a clerk confirmed)."""
    seed = seed or load_seed()
    examples = seed_examples(schedule, seed)
    known = set(schedule.codes)
    extra = [(t, c) for t, c in extra_examples if c in known]
    body = NaiveBayes().fit(examples + [ex for ex in extra for _ in range(SEED_WEIGHT)])
    titles = {row.code: list(row.titles) for row in schedule.rows}
    for text, code in extra:
        lines = title_lines([text])
        if lines and lines[0] not in titles[code]:
            titles[code].append(lines[0])
    return Model(_fingerprint(schedule, extra, seed), body, titles)


def load_or_train(
    path: Path, schedule: Schedule, extra_examples: Sequence[tuple[str, str]] = ()
) -> Model:
    """The stored model if it was trained on this schedule and these examples,
    else a new one, written atomically to `path`."""
    extra = [(t, c) for t, c in extra_examples if c in schedule]
    seed = load_seed()
    want = _fingerprint(schedule, extra, seed)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == MODEL_FORMAT and data.get("fingerprint") == want:
                return Model.from_json(data)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("classifier model %s unreadable (%s); retraining", path, exc)
    log.info("training classifier (%d confirmed examples)", len(extra))
    model = train(schedule, extra, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(model.to_json(), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return model
