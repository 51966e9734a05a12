from qianwan.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: F401
