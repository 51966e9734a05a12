from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread-count/", views.unread_count, name="unread_count"),
    path("version/", views.inbox_version, name="inbox_version"),
    path("read/", views.mark_read, name="mark_read"),
    path("<int:item_id>/ack/", views.acknowledge, name="ack"),
    path("ack/<str:token>/", views.ack_link, name="ack_link"),
]
