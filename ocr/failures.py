"""What a person is told when OCRmyPDF fails on a file: Chinese, saying what
happened and what to do. OCRmyPDF's own (English) words go to the log only
(ocr/tesseract.py logs them); the exit code is kept for the administrator.

Most such files are refused before OCR (ingest/pdf_risks.py); this is for the
rest."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODE = r"[a-z]{3}(?:_[a-z]+)?"  # a Tesseract language: fra, chi_sim
_LANGUAGES = re.compile(rf"languages?[^:：]*[:：]\s*({_CODE}(?:[\s,+]+{_CODE}\b)*)")
ADMIN = "请将文件和此提示交给系统管理员检查。"

# (pattern in OCRmyPDF's words, explanation and what to do), checked in order
_KNOWN = (
    (
        re.compile(r"XFA|LiveCycle", re.I),
        "文件是 Adobe XFA 表单，页面内容只有 Adobe Reader 能显示。"
        "请用 Adobe Reader 打开后“打印”为普通 PDF，再上传。",
    ),
    (
        re.compile(r"HifiPrintImageNotTranscodable|DeviceN|Separation", re.I),
        "文件中的图像使用专色（DeviceN/Separation）色彩空间，无法解码转换。"
        "请重新扫描，或用 PDF 软件另存为普通 PDF 后再上传。",
    ),
    (
        re.compile(r"decompression bomb|max-image-mpixels|DecompressionBomb", re.I),
        "页面按其中图像的分辨率处理后像素过多（可能是异常文件）。"
        "请按 200–300 dpi 重新扫描，或把图像降低到 300 dpi 左右后另存再上传。",
    ),
    (
        re.compile(r"digital signature|DigitalSignature", re.I),
        "文件带有数字签名，识别会使签名失效。请向提供方索取未签名的版本，或先打印为普通 PDF 再上传。",
    ),
    (
        re.compile(r"encrypt|password", re.I),
        "文件已加密（设有密码或权限保护）。请解除密码后重新上传。",
    ),
    (
        re.compile(r"MemoryError|Cannot allocate memory|out of memory", re.I),
        "服务器内存不足。请稍后重试，或把文件拆分成较少页数后上传。",
    ),
    (
        re.compile(r"No space left on device", re.I),
        "服务器磁盘空间不足。" + ADMIN,
    ),
)

# by OCRmyPDF's exit code (ocrmypdf.exceptions.ExitCode)
_BY_CODE = {
    1: "识别参数设置有误。" + ADMIN,
    2: "文件内容无法被识别程序读取（可能已损坏或结构异常）。"
    "请用 PDF 软件打开后另存（或打印）为新的 PDF，或重新扫描后上传。",
    3: "识别程序缺少所需的组件或语言数据。" + ADMIN,
    4: "识别后生成的 PDF 无效。请重新扫描或另存为新的 PDF 后重试；仍失败时" + ADMIN,
    5: "识别程序无法读写临时文件。" + ADMIN,
    6: "文件已带有文字层，未再识别。" + ADMIN,
    7: "识别过程中的外部程序（Ghostscript 或识别引擎）出错。"
    "请重新扫描或另存为新的 PDF 后重试；仍失败时" + ADMIN,
    8: "文件已加密（设有密码或权限保护）。请解除密码后重新上传。",
    9: "识别程序配置有误。" + ADMIN,
    10: "无法转换为长期保存格式 PDF/A。请另存为新的 PDF 后重试；仍失败时" + ADMIN,
}


def ocr_failure_message(code: int, detail: list[str] | str | None) -> str:
    """The Chinese message for OCRmyPDF exit `code` with its log lines `detail`."""
    text = " ".join(detail) if isinstance(detail, list) else detail or ""
    head = f"文字识别失败（OCRmyPDF 退出码 {code}）："
    # dangan's own plugins stop OCRmyPDF with Chinese messages: those are told as they are
    own = [line for line in (detail if isinstance(detail, list) else [text]) if _CJK.search(line)]
    if own:
        return head + own[-1][:300]
    for pattern, message in _KNOWN:
        if pattern.search(text):
            return head + message
    message = _BY_CODE.get(code, "识别过程中发生未预期的错误。" + ADMIN)
    if code == 3 and (found := _LANGUAGES.search(text)):
        names = "、".join(found.group(1).split())
        message = f"识别程序缺少所需的组件或语言数据（{names}）。" + ADMIN
    return head + message
