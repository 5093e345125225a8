"""Why an archival copy is not PDF/A, in Chinese, for the record (issue 18:
36 of 113 outside files were silently plain PDFs).

OCRmyPDF (output_type auto, internal backend) keeps a plain PDF when pikepdf's
PDF/A validator does not approve the file it would write. The same validator
is asked again here, on the plain PDF OCRmyPDF wrote, after the preparation
OCRmyPDF would have made (output intent, XMP): what it still finds is why.
Nothing is written; the findings' rules are turned into a few Chinese reasons
that say what in the file is the cause."""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

# (pattern over a finding's rule and message, reason), first match wins per finding
_REASONS = (
    (r"DeviceCMYK|CMYK", "含 CMYK 印刷色彩的图像或图形（与存档所用的 sRGB 色彩不一致）"),
    (r"DeviceN|Separation", "含专色（DeviceN/Separation）色彩"),
    (r"pattern|shading|/Pattern|/Shading", "页面含矢量图案或渐变填充（矢量绘制的页面）"),
    (r"font-type3|Type ?3", "使用 Type 3 字体（常见于打印机驱动和排版软件生成的文件）"),
    (r"glyph widths|width", "嵌入字体的字宽与字体程序不一致"),
    (r"not embedded|non-embedded|FontFile", "有字体未嵌入文件"),
    (r"/TR\b|transfer function", "含印刷传递函数（/TR，常见于印刷厂输出的文件）"),
    (r"transparen|/SMask|blend", "含透明效果"),
    (r"JPX|JPEG ?2000", "含 JPEG 2000 图像"),
    (r"LZW", "含 LZW 压缩数据"),
    (r"annot|/Annots|widget|AcroForm", "含批注或表单域"),
    (r"JavaScript|action|/AA\b|/OpenAction", "含脚本或动作"),
    (r"EmbeddedFile|attachment", "含附件"),
    (r"encrypt", "已加密"),
    (r"Optional ?Content|/OCProperties|/OC\b", "含可选内容（图层）"),
    (r"schema|unrecognized key", "含长期保存格式校验无法确认的结构"),
)
UNCHECKED = _REASONS[-1][1]
_COMPILED = tuple((re.compile(pattern, re.I), reason) for pattern, reason in _REASONS)
UNKNOWN = "未能确认符合 PDF/A（校验规则：{rules}）"


def reasons_from_findings(findings) -> list[str]:
    """Chinese reasons (each once, in order of first finding) for pikepdf
    PDF/A findings (objects with .rule and .message)."""
    out: list[str] = []
    unknown: list[str] = []
    for finding in findings:
        text = f"{finding.rule} {finding.message}"
        for pattern, reason in _COMPILED:
            if pattern.search(text):
                if reason not in out:
                    out.append(reason)
                break
        else:
            if finding.rule not in unknown:
                unknown.append(str(finding.rule))
    if unknown and not out:
        out.append(UNKNOWN.format(rules="、".join(unknown[:5])))
    return out


def why_not_pdfa(pdf: Path, flavour: str = "2b") -> str:
    """Why `pdf` (a plain PDF) could not be made PDF/A, in Chinese."""
    try:
        import pikepdf
        from ocrmypdf.pdfa import find_nonembedded_cid_fonts
        from pikepdf import pdfa

        with pikepdf.open(pdf) as doc:
            if find_nonembedded_cid_fonts(doc):
                return "含未嵌入的中文（CID）字体，转换会损坏其文字"
            pdfa.prepare(doc, flavour)
            report = pdfa.check(doc, flavour)
        if report.verdict == "pass":
            return "转换时未能通过 PDF/A 校验（原因未能确定）"
        # what breaks the standard first, then what the validator could not check
        # ("unsupported"); unknown structure only where nothing else is found
        ordered = sorted(report.findings, key=lambda f: f.kind != "violation")
        reasons = reasons_from_findings(ordered)
        if len(reasons) > 1 and UNCHECKED in reasons:
            reasons.remove(UNCHECKED)
        return "；".join(reasons) or UNKNOWN.format(rules="无")
    except Exception:  # the reason is a courtesy: never fail a record for it
        log.warning("could not tell why %s is not PDF/A", pdf, exc_info=True)
        return "未能确认符合 PDF/A（原因未能确定）"
