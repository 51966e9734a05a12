"""Chinese identifiers: unified social credit code, resident ID number, mobile number."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the 18th is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        raise ValidationError(
            _("统一社会信用代码应为18位数字或大写字母（不含 I、O、S、V、Z）。"), code="uscc_format"
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对后重新输入。"), code="uscc_check")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_resident_id(value: str) -> None:
    code = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", code):
        raise ValidationError(_("身份证号应为18位，前17位为数字，末位为数字或 X。"), code="id_format")
    if id_check_char(code[:17]) != code[17]:
        raise ValidationError(_("身份证号校验位错误，请核对后重新输入。"), code="id_check")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match((value or "").strip()):
        raise ValidationError(_("手机号应为以 1 开头的11位数字。"), code="mobile")


def earlier_to_the_second(at, reference) -> bool:
    """Whether ``at`` is before ``reference`` at whole seconds (the contract compares times at whole
    seconds): input given to the second is never "earlier" than a stored time in the same second."""
    return at.replace(microsecond=0) < reference.replace(microsecond=0)
