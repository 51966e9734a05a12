from django.urls import reverse
from rest_framework import serializers

from ..models import Phase
from ..selectors import sees_capture_facts


class AttachmentSerializer(serializers.Serializer):
    """An attachment as the contract shows it; ``taken_at``/``lat``/``lon`` (from the photo's EXIF,
    removed from the stored file) only for police roles."""

    id = serializers.IntegerField()
    record = serializers.CharField(source="record_ref")
    phase = serializers.CharField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    original_name = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username", default=None)
    uploaded_at = serializers.DateTimeField()
    taken_at = serializers.DateTimeField(allow_null=True, required=False, help_text="police roles only")
    lat = serializers.FloatField(allow_null=True, required=False, help_text="police roles only")
    lon = serializers.FloatField(allow_null=True, required=False, help_text="police roles only")

    def get_url(self, item) -> str:
        return reverse("attachment-file", args=[item.pk])

    def get_thumbnail_url(self, item) -> str | None:
        return reverse("attachment-thumbnail", args=[item.pk]) if item.thumbnail else None

    def to_representation(self, item):
        data = super().to_representation(item)
        request = self.context.get("request")
        if not sees_capture_facts(getattr(request, "user", None)):
            for key in ("taken_at", "lat", "lon"):
                data.pop(key, None)
        return data


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    record = serializers.CharField(max_length=60, help_text='"incident:ID", "patrol:ID", "block_visit:ID", …')
    phase = serializers.ChoiceField(choices=Phase.choices, required=False, allow_blank=True, default="")


class AttachmentListParams(serializers.Serializer):
    record = serializers.CharField(max_length=60, help_text='"kind:ID" of the record')
