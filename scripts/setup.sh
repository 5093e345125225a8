#!/usr/bin/env bash
# Set up dangan on this machine: system packages OCR needs, then .venv/.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra tesseract-ocr-eng
  ghostscript qpdf pngquant fonts-noto-cjk fonts-wqy-zenhei poppler-utils)

missing_system() {
  command -v tesseract >/dev/null || return 0
  tesseract --list-langs 2>/dev/null | grep -qx chi_sim || return 0
  tesseract --list-langs 2>/dev/null | grep -qx chi_tra || return 0
  command -v gs >/dev/null || return 0
  command -v qpdf >/dev/null || return 0
  [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || return 0
  [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || return 0
  return 1
}

if missing_system; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null; then
    echo "缺少系统软件包。请让管理员安装：${SYSTEM_PACKAGES[*]}" >&2
    exit 1
  fi
  echo "== 安装系统软件包（Tesseract 中文语言包、Ghostscript、qpdf、中文字体）"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${SYSTEM_PACKAGES[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "需要 Python 3.11 或更新版本（当前：$("$PYTHON" --version 2>&1)）。" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "== 创建虚拟环境 .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.dangan-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== 安装 Python 依赖"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  # RapidOCR with its models (in the wheel); its dependencies are in pyproject.toml
  # except opencv-python, which would shadow opencv-python-headless.
  .venv/bin/python -m pip install -q --no-deps "rapidocr-onnxruntime==1.4.4"
  echo "$want" > "$stamp"
fi
