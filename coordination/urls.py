"""URLs of the workgroups' own work: the public pages (mounted in the portal's public
namespace, "applications") and the staff pages (under /staff/, namespace "staff")."""

from django.urls import path

from .views import follow_ups, guides, knowledge, meetings, notices, public, referrals, staff

public_urlpatterns = [
    path("notices/", notices.notice_list, name="notices"),
    path("notices/<uuid:uuid>/", notices.notice_detail, name="notice"),
    path("notices/<uuid:uuid>/infographic/", notices.notice_infographic, name="notice_infographic"),
    path("notices/<uuid:uuid>/video/", notices.notice_video, name="notice_video"),
    path(
        "notices/<uuid:uuid>/files/<uuid:attachment_uuid>/",
        notices.notice_attachment,
        name="notice_attachment",
    ),
    path("guides/", guides.guides, name="guides"),
    path(
        "guides/authorisation-letter.docx",
        guides.authorisation_letter,
        name="authorisation_letter",
    ),
    path("guides/<slug:utility>/", guides.guide, name="service_guide"),
    path(
        "guides/<slug:utility>/<slug:business_type>/",
        guides.guide,
        name="service_guide_type",
    ),
    path("demands/", public.demand_list, name="demands"),
    path("demands/new/", public.demand_new, name="demand_new"),
    path("demands/submitted/", public.demand_submitted, name="demand_submitted"),
    path("demands/<uuid:uuid>/", public.demand_detail, name="demand_detail"),
    path(
        "demands/<uuid:uuid>/files/<uuid:attachment_uuid>/",
        public.demand_attachment,
        name="demand_attachment",
    ),
    path("demands/p/<uuid:uuid>/<str:token>/", public.demand_private, name="demand_private"),
    path(
        "requests/<uuid:uuid>/follow-ups/<uuid:follow_up_uuid>/rate/",
        follow_ups.follow_up_rate_again,
        name="follow_up_rate_again",
    ),
    path(
        "demands/p/<uuid:uuid>/<str:token>/files/<uuid:attachment_uuid>/",
        public.demand_private_attachment,
        name="demand_private_attachment",
    ),
]

staff_urlpatterns = [
    path("notices/", notices.notice_staff_list, name="notices"),
    path("notices/new/", notices.notice_new, name="notice_new"),
    path("notices/<uuid:uuid>/", notices.notice_staff_page, name="notice"),
    path("notices/<uuid:uuid>/edit/", notices.notice_edit, name="notice_edit"),
    path("notices/<uuid:uuid>/<str:action>/", notices.notice_act, name="notice_act"),
    # The service guides' prose (the lead agencies), the knowledge base and training.
    path("guides/", knowledge.guide_text_list, name="guide_texts"),
    path(
        "guides/<slug:utility>/<slug:business_type>/",
        knowledge.guide_text_edit,
        name="guide_text_edit",
    ),
    path(
        "guides/<slug:utility>/<slug:business_type>/v<int:version>/",
        knowledge.guide_text_version,
        name="guide_text_version",
    ),
    path("knowledge/", knowledge.article_list, name="knowledge"),
    path("knowledge/new/", knowledge.article_new, name="article_new"),
    path("knowledge/<uuid:uuid>/", knowledge.article_page, name="article"),
    path("knowledge/<uuid:uuid>/edit/", knowledge.article_edit, name="article_edit"),
    path("training/", knowledge.training_list, name="training"),
    path("training/<uuid:uuid>/", knowledge.training_session_page, name="training_session"),
    # Referrals up and escalations of demands and cases, for the tier that holds them.
    path("referrals/", staff.demand_escalations_page, name="referrals"),
    path(
        "referrals/cases/<uuid:sa_uuid>/",
        referrals.case_refer_up_view,
        name="case_refer_up",
    ),
    path("meetings/", meetings.meeting_list_page, name="meetings"),
    path("meetings/new/", meetings.meeting_new, name="meeting_new"),
    path("meetings/<uuid:uuid>/", meetings.meeting_page, name="meeting"),
    path(
        "meetings/<uuid:uuid>/minutes.<str:fmt>", meetings.meeting_minutes, name="meeting_minutes"
    ),
    path(
        "meetings/<uuid:uuid>/agenda/<str:action>/",
        meetings.meeting_agenda,
        name="meeting_agenda",
    ),
    path(
        "meetings/<uuid:uuid>/action-items/",
        meetings.meeting_action_item_add,
        name="meeting_action_item_add",
    ),
    path("meetings/<uuid:uuid>/<str:name>/", meetings.meeting_act, name="meeting_act"),
    path("action-items/", meetings.action_item_queue_page, name="action_items"),
    path("action-items/<uuid:uuid>/", meetings.action_item_page, name="action_item"),
    path("action-items/<uuid:uuid>/<str:name>/", meetings.action_item_act, name="action_item_act"),
    path("follow-ups/", follow_ups.follow_up_queue_page, name="follow_ups"),
    path("follow-ups/<uuid:uuid>/", follow_ups.follow_up_page, name="follow_up"),
    path("follow-ups/<uuid:uuid>/<str:name>/", follow_ups.follow_up_act, name="follow_up_act"),
    path("demands/", staff.demand_queue_page, name="demands"),
    path("demands/analysis/", staff.demand_analysis_page, name="demand_analysis"),
    path("demands/escalations/", staff.demand_escalations_page, name="demand_escalations"),
    path("demands/<uuid:uuid>/", staff.demand_page, name="demand"),
    path(
        "demands/<uuid:uuid>/files/<uuid:attachment_uuid>/",
        staff.demand_staff_attachment,
        name="demand_attachment",
    ),
    path("demands/<uuid:uuid>/<str:name>/", staff.demand_act, name="demand_act"),
    path(
        "demands/escalations/<uuid:uuid>/<str:action>/",
        staff.demand_escalation_act,
        name="demand_escalation",
    ),
]
