"""Locale formats (FORMAT_MODULE_PATH): the first input format is what a widget renders its value in,
and ``<input type="date">`` only takes ISO ``YYYY-MM-DD`` — Django's zh-Hans default ``2026/12/05``
made the browser show the field empty. Both languages render ISO first and still accept the rest."""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%m/%d/%Y", "%m/%d/%y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
]
