from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from qianwan.api.parsers import JSONObjectParser
from qianwan.org.choices import Role
from qianwan.security.uploads import file_response

from .. import selectors, services
from ..models import Attachment
from .serializers import AttachmentListParams, AttachmentSerializer, AttachmentUploadSerializer

READERS = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN, Role.LIAISON}


class AttachmentViewSet(viewsets.GenericViewSet):
    """Photos and PDFs on field records. A file is seen by whoever sees its record."""

    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    action_roles = {
        "list": READERS,
        "create": READERS,
        "retrieve": READERS,
        "destroy": READERS,
        "file": READERS,
        "thumbnail": READERS,
    }
    # the record's scope decides (a 404), then the role: checked in has_object_permission
    defer_role_check_to_object = True

    def get_object(self):
        item = selectors.attachment_get(user=self.request.user, pk=self.kwargs.get("pk"))
        if item is None:
            raise Http404
        self.check_object_permissions(self.request, item)
        return item

    @extend_schema(
        parameters=[OpenApiParameter("record", str, required=True, description='"kind:ID" of the record')],
        responses=AttachmentSerializer(many=True),
    )
    def list(self, request):
        """The files of one record (`?record=kind:ID`); a record outside the caller's scope → 400."""
        params = AttachmentListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        kind, record = services.resolve_record(user=request.user, ref=params.validated_data["record"])
        page = self.paginate_queryset(selectors.for_record(kind=kind, record_id=record.pk))
        return self.get_paginated_response(
            AttachmentSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 200: AttachmentSerializer},
    )
    def create(self, request):
        """Attach a file (`file`, `record`, optional `phase`) → 201; the same file on the same record
        again → 200 with the existing attachment."""
        body = AttachmentUploadSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            item, created = services.attachment_add(
                actor=request.user, record=data["record"], upload=data["file"], phase=data["phase"]
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(
            AttachmentSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def get_parsers(self):
        if getattr(self, "action", None) == "create" or (
            self.request is not None and self.request.method == "POST"
        ):
            # a JSON body is read too, so that it answers 400 (no file) rather than 415
            return [MultiPartParser(), FormParser(), JSONObjectParser()]
        return super().get_parsers()

    def retrieve(self, request, pk=None):
        return Response(AttachmentSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Remove a file: its uploader within 24 hours, or a leader (audited)."""
        item = self.get_object()
        try:
            services.attachment_remove(actor=request.user, item=item)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        item = self.get_object()
        return file_response(item.file, content_type=item.content_type, download_name=_name(item))

    # a JPEG, declared as bytes (as the file beside it) so that generated clients return it unparsed
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def thumbnail(self, request, pk=None):
        item = self.get_object()
        if not item.thumbnail:
            raise Http404
        return file_response(item.thumbnail, content_type="image/jpeg", download_name=f"thumb-{item.pk}.jpg")


def _name(item) -> str:
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}.get(item.content_type, "bin")
    return f"attachment-{item.pk}.{ext}"
