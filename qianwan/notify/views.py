from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from qianwan.errors import StateConflict
from qianwan.forms import add_errors
from qianwan.listing import list_page
from qianwan.masking import mask_url
from qianwan.org.access import role_required
from qianwan.org.choices import LEADER_ROLES
from qianwan.security.redirects import local_next

from . import services
from .forms import ChannelForm, ContactMethodForm
from .models import ContactMethod, InboxItem


@login_required
def inbox(request):
    """The in-app inbox: one row per thread (an incident's notifications together), newest first,
    with how many there are, the latest state and the age of the latest update; ?unread=1 shows
    threads with something unread only."""
    only_unread = request.GET.get("unread") == "1"
    page = list_page(request, services.inbox_threads(user=request.user, only_unread=only_unread), per_page=30)
    rows = services.inbox_thread_rows(user=request.user, groups=page.object_list)
    return render(request, "notify/inbox.html", {"page": page, "rows": rows, "only_unread": only_unread})


@never_cache
@require_GET
@login_required
def unread_count(request):
    """Polled by every page's header badge: threads (incidents) with something unread."""
    return JsonResponse({"unread": services.unread_threads(user=request.user)})


@never_cache
@require_GET
@login_required
def inbox_version(request):
    """Polled by the inbox page: it reloads when a notification arrives or one is read elsewhere."""
    return JsonResponse(
        {
            "unread": services.unread_threads(user=request.user),
            "version": services.inbox_version(user=request.user),
        }
    )


@require_POST
@login_required
def mark_read(request):
    threads = request.POST.getlist("thread")
    raw_ids = request.POST.getlist("item")
    if threads:
        count = services.inbox_mark_thread_read(user=request.user, threads=threads)
    else:
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


ACK_LINK_REFUSALS = {
    "invalid": (400, _lazy("确认链接无效"), _lazy("链接不完整或已被改动。请在平台的通知收件箱中确认。")),
    "expired": (
        410,
        _lazy("确认链接已过期"),
        _lazy("该链接已超过有效期，未做任何更改。请登录平台在通知收件箱中确认。"),
    ),
    "used": (410, _lazy("确认链接已使用"), _lazy("该链接只能使用一次，此前已用于确认，本次未做任何更改。")),
    "done": (409, _lazy("该通知已确认"), _lazy("该通知此前已确认，本次未做任何更改。")),
}


def _ack_refused(request, reason: str):
    status, title, message = ACK_LINK_REFUSALS[reason]
    return render(
        request, "notify/ack_link.html", {"title": title, "message": message, "refused": True}, status=status
    )


@never_cache
def ack_link(request, token: str):
    """A person's one-time acknowledge link, opened on a phone without logging in. GET shows what is
    acknowledged and a button (link previews and scanners only GET: they must not acknowledge); POST
    acknowledges once."""
    if request.method not in ("GET", "POST"):
        return JsonResponse({"detail": _("不支持的请求方法。")}, status=405)
    try:
        if request.method == "POST":
            item = services.ack_link_use(token=token)
            return render(
                request,
                "notify/ack_link.html",
                {
                    "title": _("已确认"),
                    "message": _("已确认收到：%(t)s") % {"t": item.notification.title},
                    "done": True,
                },
            )
        link = services.ack_link_read(token=token)
    except services.AckLinkRefused as refused:
        return _ack_refused(request, refused.reason)
    return render(
        request,
        "notify/ack_link.html",
        {
            "title": _("确认收到通知"),
            "notification": link.inbox_item.notification,
            "person": link.inbox_item.recipient,
        },
    )


# ---------------------------------------------------------------------------------------------------
# My contact methods


@login_required
def contacts(request):
    """The signed-in person's own contact methods and which urgencies go where."""
    form = ContactMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_method_create(actor=request.user, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已添加联系方式。"))
            return redirect("notify:contacts")
    return render(
        request,
        "notify/contacts.html",
        {"form": form, "contacts": ContactMethod.objects.filter(user=request.user)},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def contact_delete(request, pk: int):
    contact = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    services.contact_method_delete(actor=request.user, contact=contact)
    messages.success(request, _("已删除联系方式。"))
    return redirect("notify:contacts")


# ---------------------------------------------------------------------------------------------------
# Group channels


@role_required(*LEADER_ROLES)
def channel_list(request):
    return render(
        request, "notify/channels.html", {"channels": services.channels_in_scope(user=request.user)}
    )


@role_required(*LEADER_ROLES)
def channel_edit(request, pk: int | None = None):
    channel = get_object_or_404(services.channels_in_scope(user=request.user), pk=pk) if pk else None
    form = ChannelForm(request.POST or None, instance=channel, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.CHANNEL_FIELDS}
        try:
            saved = services.channel_save(actor=request.user, channel=channel, **fields)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已保存推送渠道“%(name)s”。") % {"name": saved.name})
            return redirect("notify:channel_detail", pk=saved.pk)
    return render(
        request,
        "notify/channel_form.html",
        {"form": form, "channel": channel},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*LEADER_ROLES)
def channel_detail(request, pk: int):
    """A channel, its "send test" button and its delivery log."""
    channel = get_object_or_404(services.channels_in_scope(user=request.user), pk=pk)
    return render(
        request,
        "notify/channel_detail.html",
        {
            "channel": channel,
            "masked_url": mask_url(channel.url),
            "log": services.channel_log(channel=channel),
        },
    )


@require_POST
@role_required(*LEADER_ROLES)
def channel_send_test(request, pk: int):
    """Send a test message now; whatever the receiver answers (or nothing, unreachable) goes into the
    delivery log shown on the channel's page."""
    channel = get_object_or_404(services.channels_in_scope(user=request.user), pk=pk)
    delivery = services.channel_test(actor=request.user, channel=channel)
    services.delivery_attempt(delivery.pk)  # a no-op when the worker already took this try
    delivery.refresh_from_db()
    if delivery.status == "delivered":
        messages.success(request, _("测试消息已送达。"))
    else:
        messages.error(
            request,
            _("测试消息发送失败：%(error)s（见下方投递记录）") % {"error": delivery.last_error or "—"},
        )
    return redirect("notify:channel_detail", pk=channel.pk)
