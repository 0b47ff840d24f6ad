from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_read, name="inbox_read"),
    path("<uuid:uuid>/", views.inbox_detail, name="message"),
    path("<uuid:uuid>/read/", views.inbox_detail_read, name="message_read"),
]
