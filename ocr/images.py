"""Wrap scanned images (PNG, JPEG, multi-page TIFF, WebP, HEIC) into one PDF,
losslessly where the format allows, keeping the scan's resolution.

HEIC/HEIF phone photos are decoded by pi-heif (libheif with the libde265
decoder, LGPL; the package BSD-3-Clause) where it is installed."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageOps

DEFAULT_DPI = 200


@cache
def heif_opener() -> bool:
    """Whether Pillow can open HEIC/HEIF images (pi-heif's opener registered)."""
    try:
        import pi_heif
    except ImportError:
        return False
    pi_heif.register_heif_opener()
    return True


def images_to_pdf(source: Path, target: Path) -> None:
    # img2pdf (about 90 ms) only when a scan is wrapped: ingest imports this module
    # at start-up
    import img2pdf

    heif_opener()
    with Image.open(source) as img:
        dpi = img.info.get("dpi")
        if img.mode == "CMYK":
            # CMYK (print colours) cannot be PDF/A with the sRGB output intent:
            # the archival copy gets the scan in RGB; the original is kept as it is
            _cmyk_to_rgb(source, target, img)
            return
        lossless_ok = img.mode in ("1", "L", "RGB", "P") and "transparency" not in img.info
    has_dpi = bool(dpi) and all(float(d) >= 50 for d in dpi[:2])
    layout = (
        img2pdf.default_layout_fun
        if has_dpi
        else img2pdf.get_fixed_dpi_layout_fun((DEFAULT_DPI, DEFAULT_DPI))
    )
    if lossless_ok:
        try:
            target.write_bytes(
                img2pdf.convert(str(source), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
            )
            return
        except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError, OSError):
            pass
    # Fallback (and WebP, HEIC, which img2pdf does not read): decode every frame
    # and re-encode as PNG (alpha flattened on white, turned upright by its EXIF).
    frames: list[bytes] = []
    with Image.open(source) as img:
        for index in range(getattr(img, "n_frames", 1)):
            img.seek(index)
            frame = ImageOps.exif_transpose(img).convert("RGBA")
            flat = Image.new("RGB", frame.size, "white")
            flat.paste(frame, mask=frame.split()[-1])
            out = target.with_suffix(f".{index}.png")
            flat.save(out, dpi=dpi if has_dpi else (DEFAULT_DPI, DEFAULT_DPI))
            frames.append(out.read_bytes())
            out.unlink()
    target.write_bytes(img2pdf.convert(frames, layout_fun=layout))


def _cmyk_to_rgb(source: Path, target: Path, img: Image.Image) -> None:
    """Every frame of a CMYK image converted to sRGB (through its own ICC
    profile where it has one) and wrapped as high-quality JPEG."""
    import img2pdf
    from PIL import ImageCms

    dpi = img.info.get("dpi")
    has_dpi = bool(dpi) and all(float(d) >= 50 for d in dpi[:2])
    dpi = tuple(dpi[:2]) if has_dpi else (DEFAULT_DPI, DEFAULT_DPI)
    frames: list[bytes] = []
    for index in range(getattr(img, "n_frames", 1)):
        img.seek(index)
        frame = img.convert("CMYK")
        profile = img.info.get("icc_profile")
        rgb = None
        if profile:
            try:
                rgb = ImageCms.profileToProfile(
                    frame,
                    ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                    ImageCms.createProfile("sRGB"),
                    outputMode="RGB",
                )
            except (ImageCms.PyCMSError, OSError, ValueError):
                rgb = None
        rgb = rgb if rgb is not None else frame.convert("RGB")
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=95, subsampling=0, dpi=dpi)
        frames.append(out.getvalue())
    target.write_bytes(img2pdf.convert(frames, layout_fun=img2pdf.get_fixed_dpi_layout_fun(dpi)))
