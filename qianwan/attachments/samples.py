"""Sample photos for the demo and the generator: a small JPEG carrying EXIF capture time and GPS, as
a phone would take it (the store strips both from the file and keeps them as fields)."""

import io
from fractions import Fraction

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qianwan.kpi import local_tz


def _dms(value: float) -> tuple:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round((value - d - m / 60) * 3600, 2)
    return (Fraction(d), Fraction(m), Fraction(s).limit_denominator(100))


def photo(*, lat: float, lon: float, taken_at, label: int = 0, size=(160, 120)) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (70 + (label * 37) % 150, 120, 90 + (label * 53) % 140))
    ImageDraw.Draw(image).rectangle([10, 10, size[0] - 10, size[1] - 10], outline=(255, 255, 255), width=3)
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(
        {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    )
    local = timezone.localtime(taken_at, local_tz())
    exif.get_ifd(0x8769)[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, exif=exif)
    return SimpleUploadedFile(f"IMG_{label:04d}.jpg", buffer.getvalue(), content_type="image/jpeg")
