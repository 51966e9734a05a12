"""Chinese identifiers: unified social credit code, resident ID number, mobile and landline numbers,
vehicle plates. Every form, serializer and service that takes one of these uses the checks here."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the 18th is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# A landline: area code 0 + 2–3 digits and a 7–8 digit number (hyphen optional), or a local 7–8 digit
# number not starting with 0/1; an extension after "-" or "转"; 400/800 service numbers.
LANDLINE_RE = re.compile(
    r"^(?:0\d{2,3}-?[2-9]\d{6,7}|[2-9]\d{6,7}|[48]00-?\d{3}-?\d{4})(?:(?:-|转)\d{1,6})?$"
)
# Civil plates (GA 36-2018): province character, issuing-office letter (no I/O), 5 characters (6 for
# new-energy plates); a few special endings (挂 trailer, 学 learner, 警 police, 港/澳 cross-border).
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(
    rf"^[{PLATE_PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{5}}|[A-HJ-NP-Z0-9]{{6}}|[A-HJ-NP-Z0-9]{{4}}[挂学警港澳])$"
)


def normalize_phone(value: str) -> str:
    """Spaces dropped and a +86/0086 prefix of a mobile removed: what is stored and checked."""
    phone = re.sub(r"[\s()（）]", "", value or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix) and len(phone) > len(prefix) + 10:
            phone = phone[len(prefix) :].lstrip("-")
    return phone


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


def validate_landline(value: str) -> None:
    if not LANDLINE_RE.match(normalize_phone(value)):
        raise ValidationError(
            _("固定电话应为区号加7–8位号码（如 0574-63012345），可带分机号。"), code="landline"
        )


def validate_phone(value: str) -> None:
    """A mobile (11 digits starting 1) or a landline; the message says both forms."""
    phone = normalize_phone(value)
    if MOBILE_RE.match(phone) or LANDLINE_RE.match(phone):
        return
    raise ValidationError(
        _("电话号码格式不正确：手机号为以 1 开头的11位数字，固定电话为区号加7–8位号码（如 0574-63012345）。"),
        code="phone",
    )


def validate_plate(value: str) -> None:
    plate = (value or "").strip().upper().replace(" ", "").replace("·", "")
    if not PLATE_RE.match(plate):
        raise ValidationError(
            _("车牌号格式不正确：应为省份简称、发牌机关字母和5位号码（新能源6位），如 浙B12345。"),
            code="plate",
        )


def field_errors(checks) -> dict:
    """Run ``(field, validator, value)`` checks on the values given (blank values are skipped) and
    return every failure at once as ``{field: [messages]}`` — a service raises them together."""
    errors: dict[str, list] = {}
    for field, validator, value in checks:
        if not (value or "").strip():
            continue
        try:
            validator(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    return errors
