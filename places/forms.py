from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import StandardAddress


class AddressForm(forms.ModelForm):
    class Meta:
        model = StandardAddress
        fields = [
            "code",
            "district",
            "street",
            "community",
            "road",
            "number",
            "building",
            "unit",
            "room",
            "lat",
            "lon",
            "grid",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lat"].widget = forms.NumberInput(attrs={"step": "any", "data-point-lat": True})
        self.fields["lon"].widget = forms.NumberInput(attrs={"step": "any", "data-point-lon": True})


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel（.xlsx）或 CSV 文件"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"})
    )


def place_errors(form, data) -> None:
    """The place rules of every page form (places): an unknown standard-address code is an error, the
    code's point fills a missing one, and a point outside the district is refused with the reason."""
    from .services import district_error, resolve_place

    try:
        found, text, lat, lon = resolve_place(
            address=data.get("address", ""),
            lat=data.get("lat"),
            lon=data.get("lon"),
            address_code=data.get("address_code"),
        )
    except ValidationError as exc:
        form.add_error("address", exc.message_dict["address_code"])
        return
    data["standard_address"], data["lat"], data["lon"] = found, lat, lon
    if "address" in form.fields:
        data["address"] = text
    if "lat" not in form.errors and "lon" not in form.errors:
        problem = district_error(lat, lon)
        if problem:
            form.add_error("lat", problem)


def point_widgets(form) -> None:
    """The data attributes the map (static/places/place.js) finds the point fields by."""
    for name, attr in (("lat", "data-point-lat"), ("lon", "data-point-lon")):
        if name in form.fields:
            form.fields[name].widget.attrs.update({attr: True, "step": "any"})


def code_field():
    return forms.CharField(
        required=False, max_length=40, widget=forms.HiddenInput(attrs={"data-place-code": True})
    )
