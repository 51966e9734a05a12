"""The page side of attachments: an upload form on a record's page posts here and returns to it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qianwan.org.access import role_required
from qianwan.security.redirects import local_next

from . import registry, services


@require_POST
@role_required(*registry.POLICE_ROLES, "liaison")
def upload(request):
    back = local_next(request, default="/")
    try:
        _item, created = services.attachment_add(
            actor=request.user,
            record=request.POST.get("record", ""),
            upload=request.FILES.get("file"),
            phase=request.POST.get("phase", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(m for msgs in exc.message_dict.values() for m in msgs))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已上传附件。") if created else _("该文件已在此记录的附件中。"))
    return redirect(back)
