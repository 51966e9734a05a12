from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from qianwan.errors import StateConflict
from qianwan.security.redirects import local_next

from . import services
from .models import InboxItem


@login_required
def inbox(request):
    """The in-app inbox: newest first, unread highlighted; ?unread=1 shows only unread."""
    items = services.inbox_for(user=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "only_unread": only_unread})


@never_cache
@require_GET
@login_required
def unread_count(request):
    """Polled by every page's header badge."""
    return JsonResponse({"unread": services.unread_count(user=request.user)})


@require_POST
@login_required
def mark_read(request):
    raw_ids = request.POST.getlist("item")
    ids = [int(i) for i in raw_ids if i.isdigit()] if raw_ids else None
    count = services.inbox_mark_read(user=request.user, item_ids=ids)
    messages.success(request, _("已标记 %(n)d 条为已读。") % {"n": count})
    return redirect("notify:inbox")


@require_POST
@login_required
def acknowledge(request, item_id: int):
    item = get_object_or_404(InboxItem, pk=item_id, recipient=request.user)
    try:
        services.inbox_acknowledge(user=request.user, item=item)
    except StateConflict as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("已确认：%(title)s") % {"title": item.notification.title})
    return redirect(local_next(request, reverse("notify:inbox")))
