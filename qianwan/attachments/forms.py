"""The optional photo on a record's creation form: one field, attached after the record is saved in
the same transaction (a refused file is a 400 on the form and nothing is saved)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _


def photo_field() -> forms.FileField:
    return forms.FileField(
        label=_("照片"),
        required=False,
        help_text=_("JPEG、PNG 或 PDF，不超过 10 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )


def attach_photo(*, actor, record, upload) -> None:
    """Attach the form's ``photo`` to the just-saved ``record`` (call inside its transaction)."""
    if upload:
        from .services import attachment_add

        try:
            attachment_add(actor=actor, record=record, upload=upload, field="photo")
        except PermissionDenied as exc:  # a role that may record but not attach: the photo is refused
            raise ValidationError({"photo": [str(exc)]}) from exc
