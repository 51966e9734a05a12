"""Back-office for the disputes reference data: blocks, channel contacts, case files."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qianwan.masking import MaskedAdminMixin

from . import geo, services
from .models import Block, BlockCell, CaseFile, ChannelContact, Dispute, PatrolPolicy


class BlockAdminForm(forms.ModelForm):
    cells_text = forms.CharField(
        label=_("H3 网格"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行或以逗号分隔一个 H3 网格编号（分辨率 ≤ 9）；填写了多边形时忽略。"),
    )

    class Meta:
        model = Block
        fields = ["station", "name", "officer", "polygon", "cells_text", "note", "is_active"]

    def clean(self):
        """The service's checks, up front, so the admin shows them next to the fields (never a 500)."""
        data = super().clean()
        polygon = data.get("polygon")
        cells = [c for c in data.get("cells_text", "").replace(",", "\n").split() if c]
        try:
            area = geo.polygon_cells(polygon) if polygon else geo.normalise_cells(cells)
        except (TypeError, ValueError):
            raise ValidationError(_("多边形须为 [[纬度, 经度], …]，网格须为有效的 H3 编号。")) from None
        if not area:
            raise ValidationError(_("请提供片区范围：H3 网格或边界多边形。"))
        taken = (
            BlockCell.objects.filter(cell__in=area).exclude(block_id=self.instance.pk).select_related("block")
        )
        if taken.exists():
            raise ValidationError(_("范围与片区“%(other)s”重叠。") % {"other": taken.first().block})
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["cells_text"].initial = "\n".join(self.instance.cells.values_list("cell", flat=True))


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    form = BlockAdminForm
    list_display = ["name", "station", "officer", "is_active"]
    list_filter = ["station", "is_active"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        # through the service: the area becomes BlockCell rows, overlaps are refused, the change is audited
        data = form.cleaned_data
        cells = [c for c in data.get("cells_text", "").replace(",", "\n").split() if c]
        block = services.block_save(
            actor=request.user,
            station=data["station"],
            name=data["name"],
            officer=data.get("officer"),
            cells=cells,
            polygon=data.get("polygon"),
            note=data.get("note", ""),
            block=Block.objects.get(pk=obj.pk) if change else None,
        )
        if block.is_active != data.get("is_active", True):
            Block.objects.filter(pk=block.pk).update(is_active=data.get("is_active", True))
        obj.pk = block.pk


@admin.register(ChannelContact)
class ChannelContactAdmin(MaskedAdminMixin, admin.ModelAdmin):
    masked_fields = {"contact_phone": "phone"}
    list_display = ["station", "channel", "organisation", "contact_name", "contact_phone"]
    list_filter = ["station", "channel"]


@admin.register(CaseFile)
class CaseFileAdmin(admin.ModelAdmin):
    list_display = ["title", "station", "block", "category", "next_review_on"]
    list_filter = ["station", "category"]


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Read-only: disputes change only through their workflow (the pages and the API)."""

    list_display = ["number", "station", "category", "risk_level", "status", "occurred_at"]
    list_filter = ["station", "status", "risk_level", "category"]
    search_fields = ["number", "summary"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatrolPolicy)
class PatrolPolicyAdmin(admin.ModelAdmin):
    list_display = ["station", "overdue_days"]
