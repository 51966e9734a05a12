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
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/new/", views.channel_edit, name="channel_new"),
    path("channels/<int:pk>/", views.channel_detail, name="channel_detail"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", views.channel_send_test, name="channel_test"),
]
