from django import forms
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
