FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra tesseract-ocr-eng \
      ghostscript qpdf pngquant fonts-noto-cjk fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . \
    && pip install --no-cache-dir --no-deps "rapidocr-onnxruntime==1.4.4"
ENV DANGAN_HOME=/data DANGAN_HOST=0.0.0.0
# run outside /app: its dangan/ folder would shadow the installed package, whose
# rooms (dangan.api, dangan.catalog, ...) are only inside the installed copy
WORKDIR /data
VOLUME /data
EXPOSE 8000
CMD ["dangan", "serve"]
