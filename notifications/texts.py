"""The message catalogue: every message the portal writes, by code, made from its parameters.

A Delivery keeps its `code` and `params` (JSON: references, choice values, names in both
languages, ISO dates, free text as typed). The inbox renders them at read time through gettext in
the reader's language; e-mail, SMS and webhooks carry the Chinese text composed when the row was
written (`compose`). Rows written before codes existed keep their stored text (`render` answers
None for them and the inbox shows the text). docs/notifications.md lists the codes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, override
from django.utils.translation import gettext as _

from applications.constants import BreachAction, DocumentType, PermitType, ServiceStatus, Utility
from applications.dates import date_text
from applications.models.feedback import RatingLevel
from coordination.constants import (
    DemandKind,
    DemandTheme,
    EscalationEventKind,
    EscalationOrigin,
)
from coordination.registry import DEMAND_LIMITS, FOLLOW_UP_LIMITS
from workgroups.constants import VerificationStatus

logger = logging.getLogger(__name__)

Params = dict[str, Any]


@dataclass(frozen=True)
class Text:
    """A message in the active language; `path` is the portal page it is about (if any)."""

    subject: str
    body: str
    path: str = ""


_CATALOGUE: dict[str, Callable[[Params], Text]] = {}


def message(code: str) -> Callable[[Callable[[Params], Text]], Callable[[Params], Text]]:
    def register(render: Callable[[Params], Text]) -> Callable[[Params], Text]:
        _CATALOGUE[code] = render
        return render

    return register


def codes() -> list[str]:
    return sorted(_CATALOGUE)


def render(code: str, params: Params) -> Text | None:
    """The message in the active language, or None (no code, an unknown code, or parameters
    that do not fit it: the stored text is shown instead)."""
    renderer = _CATALOGUE.get(code) if code else None
    if renderer is None:
        return None
    try:
        return renderer(params)
    except (KeyError, ValueError, TypeError) as exc:
        logger.warning("Message %s could not be rendered from its parameters: %r", code, exc)
        return None


def compose(code: str, params: Params, *, link: bool = True) -> dict[str, Any]:
    """The Delivery fields of a message: its code and parameters, and its Chinese text for the
    channels that carry text (e-mail, SMS, webhook), with the page's address when it has one."""
    with override("zh-hans"):
        text = render(code, params)
    if text is None:
        raise ValueError(f"message {code!r} does not render from {params!r}")
    body = text.body
    if link and text.path:
        body = "\n".join(p for p in (body, f"{settings.PORTAL_BASE_URL}{text.path}") if p)
    return {"code": code, "params": params, "subject": text.subject, "body": body}


# Parameters: names in both languages, choice values, dates.


def names(obj: Any) -> dict[str, str]:
    """An organisation's or town's name in both languages, for the parameters."""
    if obj is None:
        return {"zh": "", "en": ""}
    return {"zh": obj.name_zh, "en": getattr(obj, "name_en", "") or ""}


def _name(value: Any) -> str:
    """The name in the active language (Chinese when there is no English)."""
    if isinstance(value, dict):
        english = not (get_language() or "").startswith("zh")
        return (value.get("en") if english else "") or value.get("zh", "")
    return str(value or "")


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def _day(value: str | None) -> str:
    return date_text(dt.date.fromisoformat(value)) if value else "—"


def _moment(value: str | None) -> str:
    if not value:
        return ""
    return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _lines(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _path(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _stage(stage: str) -> str:
    if stage.startswith("permit:"):
        return _label(PermitType, stage.removeprefix("permit:"))
    return _label(ServiceStatus, stage)


# Cases (applications).


@message("case.state_changed")
def _case_state_changed(p: Params) -> Text:
    details = [p.get("reason", ""), p.get("comment", ""), *p.get("notes", [])]
    if p.get("fee") is not None:
        details.append(_("Fee quote: %(fee)s CNY") % {"fee": p["fee"]})
    return Text(
        _("%(reference)s %(utility)s: %(status)s")
        % {
            "reference": p["reference"],
            "utility": _label(Utility, p["utility"]),
            "status": _label(ServiceStatus, p["status"]),
        },
        _lines(*details),
    )


@message("case.fee_quoted")
def _case_fee_quoted(p: Params) -> Text:
    items = [
        _("%(label)s: %(amount)s CNY") % {"label": i["label"], "amount": i["amount_cny"]}
        for i in p.get("fee_items") or []
    ]
    return Text(
        _("%(reference)s %(utility)s: fee quote of %(fee)s CNY awaits your confirmation")
        % {"reference": p["reference"], "utility": _label(Utility, p["utility"]), "fee": p["fee"]},
        _lines(
            *items,
            p.get("comment", ""),
            _("Confirm the plan and the fee on the request's page, or ask a question about it."),
        ),
        _path("applications:request_detail", p["request"]),
    )


@message("case.fee_paid")
def _case_fee_paid(p: Params) -> Text:
    return Text(
        _("%(reference)s %(utility)s: payment of %(amount)s CNY recorded")
        % {
            "reference": p["reference"],
            "utility": _label(Utility, p["utility"]),
            "amount": p["amount"],
        },
        _("Receipt %(receipt)s, paid on %(day)s.")
        % {"receipt": p["receipt"], "day": _day(p["paid_on"])},
        _path("applications:request_detail", p["request"]),
    )


@message("case.escalation")
def _case_escalation(p: Params) -> Text:
    return Text(
        _("Escalation (tier %(tier)s): %(reference)s %(stage)s overdue")
        % {"tier": p["tier"], "reference": p["reference"], "stage": _stage(p["stage"])},
        p.get("note", ""),
    )


@message("case.referral")
def _case_referral(p: Params) -> Text:
    values = {
        "tier": p["tier"],
        "reference": p["reference"],
        "utility": _label(Utility, p["utility"]),
        "project": p["project"],
    }
    if p.get("kind") == EscalationEventKind.RESOLVED:
        subject = _("Referral resolved: case %(reference)s (%(utility)s), %(project)s") % values
    else:
        subject = (
            _("Referred up (tier %(tier)s): case %(reference)s (%(utility)s), %(project)s") % values
        )
    return Text(subject, p.get("note", ""), _path("staff:case", p["case"]))


# Commitments (承诺制) followed through.


def _commitment_values(p: Params) -> dict[str, str]:
    return {
        "reference": p["reference"],
        "document": _label(DocumentType, p["document"]),
        "agency": _name(p.get("agency")),
        "day": _day(p.get("due_on")),
        "stage": _label(ServiceStatus, p["due_stage"]) if p.get("due_stage") else "—",
    }


@message("commitment.due")
def _commitment_due(p: Params) -> Text:
    values = _commitment_values(p)
    return Text(
        _("%(reference)s: the %(document)s you promised is due") % values,
        _(
            "Your commitment falls due (before “%(stage)s”, at the latest %(day)s). Upload the "
            "document on the request's page; %(agency)s verifies it."
        )
        % values,
        _path("applications:request_detail", p["request"]),
    )


@message("commitment.due_agency")
def _commitment_due_agency(p: Params) -> Text:
    values = _commitment_values(p)
    return Text(
        _("Commitment due: %(document)s for %(reference)s") % values,
        _(
            "The applicant promised this document instead of filing it; it fell due. Verify it "
            "once it is supplied, or record the commitment broken."
        ),
        _path("staff:commitments"),
    )


@message("commitment.supplied")
def _commitment_supplied(p: Params) -> Text:
    return Text(
        _("Document supplied for verification: %(document)s for %(reference)s")
        % _commitment_values(p),
        _("Accept the document (the commitment is kept) or record the commitment broken."),
        _path("staff:commitments"),
    )


@message("commitment.verified")
def _commitment_verified(p: Params) -> Text:
    return Text(
        _("%(reference)s: commitment kept, %(document)s verified") % _commitment_values(p),
        _("%(agency)s accepted the document you promised.") % _commitment_values(p),
        _path("applications:request_detail", p["request"]),
    )


@message("commitment.breached")
def _commitment_breached(p: Params) -> Text:
    if p.get("on_breach") == BreachAction.STOP:
        outcome = _("The applications that relied on it are stopped.")
    else:
        outcome = _(
            "The applications that relied on it are paused until the document is verified: "
            "upload it on the request's page."
        )
    return Text(
        _("%(reference)s: commitment not kept (%(document)s)") % _commitment_values(p),
        _lines(_("Reason: %(reason)s") % {"reason": p.get("reason", "")}, outcome),
        _path("applications:request_detail", p["request"]),
    )


# Coordination meetings' action items (督办事项).


@message("action_item.assigned")
def _action_item_assigned(p: Params) -> Text:
    return Text(
        _("Action item from “%(meeting)s”, due %(day)s")
        % {"meeting": p["meeting"], "day": _day(p["due_day"])},
        p.get("description", ""),
        _path("staff:action_item", p["action_item"]),
    )


@message("action_item.done")
def _action_item_done(p: Params) -> Text:
    return Text(
        _("Action item from “%(meeting)s” done") % {"meeting": p["meeting"]},
        _lines(p.get("description", ""), p.get("done_note", "")),
        _path("staff:action_item", p["action_item"]),
    )


@message("action_item.escalation")
def _action_item_escalation(p: Params) -> Text:
    values = {"tier": p["tier"], "meeting": p["meeting"]}
    if p.get("origin") == EscalationOrigin.REFERRAL:
        subject = _("Referral (tier %(tier)s): action item from “%(meeting)s”") % values
    else:
        subject = _("Escalation (tier %(tier)s): action item from “%(meeting)s” overdue") % values
    return Text(
        subject,
        _lines(p.get("description", ""), p.get("note", "")),
        _path("staff:action_item", p["action_item"]),
    )


# A company's verification.


@message("company.identity")
def _company_identity(p: Params) -> Text:
    name, code, reason = p["event"], p.get("code", ""), p.get("reason", "")
    if name in ("verify_by_registry", "match_registry"):
        return Text(
            _("Your company is verified"),
            _(
                "The market regulator's registry data for credit code %(code)s names your "
                "company. You can now take over the projects departments shared with it."
            )
            % {"code": code},
        )
    if name == "accept_review":
        return Text(
            _("Your company is verified"),
            _(
                "Staff accepted your business licence for credit code %(code)s. You can now take "
                "over the projects departments shared with your company."
            )
            % {"code": code},
        )
    if name == "refuse_review":
        return Text(
            _("Your business licence was not accepted"),
            _(
                "Reason: %(reason)s\nSend a clear copy of the current licence on the company "
                "verification page."
            )
            % {"reason": reason},
        )
    if name in ("open_dispute", "dispute_opened"):
        body = (
            _(
                "Another account registered credit code %(code)s, which your company "
                "registered first. Your company stays verified; the market regulator's staff "
                "decide and may contact you."
            )
            if p.get("status") == VerificationStatus.VERIFIED
            else _(
                "Two accounts registered credit code %(code)s. The market regulator's staff "
                "decide which company holds it; until then your company is not verified."
            )
        )
        return Text(_("Credit code %(code)s is disputed") % {"code": code}, body % {"code": code})
    if name in ("settle", "dispute_kept"):
        return Text(
            _("Dispute decided: credit code %(code)s is your company's") % {"code": code},
            _("Reason: %(reason)s") % {"reason": reason},
        )
    if name == "detach":
        return Text(
            _("Dispute decided: credit code %(code)s belongs to another company") % {"code": code},
            _(
                "Reason: %(reason)s\nYour company stays in the portal, unverified, and can still "
                "file requests. If you work for the company that holds the code, ask its account "
                "manager to invite you."
            )
            % {"reason": reason},
        )
    raise ValueError(f"no message for identity event {name}")


IDENTITY_EVENTS = frozenset(
    {
        "verify_by_registry",
        "match_registry",
        "accept_review",
        "refuse_review",
        "open_dispute",
        "dispute_opened",
        "settle",
        "dispute_kept",
        "detach",
    }
)


# Who holds a pushed project.


@message("project.shared")
def _project_shared(p: Params) -> Text:
    return Text(
        _("%(department)s shared project %(code)s with your company")
        % {"department": _name(p["department"]), "code": p["code"]},
        _(
            "%(name)s: take it over on the Projects page with its code; its "
            "data and documents come with it (no upload needed)."
        )
        % {"name": p["name"]},
        _path("applications:project_list"),
    )


@message("project.reassigned")
def _project_reassigned(p: Params) -> Text:
    return Text(
        _("%(department)s reassigned project %(code)s")
        % {"department": _name(p["department"]), "code": p["code"]},
        _(
            "The project and the documents the department shared with it are no "
            "longer your company's. Reason: %(reason)s"
        )
        % {"reason": p.get("reason", "")},
    )


@message("project.claimed")
def _project_claimed(p: Params) -> Text:
    return Text(
        _("Project %(code)s was claimed by %(company)s")
        % {"code": p["code"], "company": _name(p["company"])},
        _("If this is not the project's owner, reassign it in the staff site or through the API."),
    )


# Policy notices (政策推送).


@message("policy_notice.published")
def _policy_notice(p: Params) -> Text:
    return Text(
        _("Policy notice: %(title)s") % {"title": p["title"]},
        _("%(workgroup)s has published a policy notice for your company: %(title)s")
        % {"workgroup": _name(p["workgroup"]), "title": p["title"]},
        _path("applications:notice", p["notice"]),
    )


# Early demand notices (关口前移).


def _utilities(values: list[str]) -> str:
    return gettext(", ").join(_label(Utility, u) for u in values)


@message("demand_notice.created")
def _demand_notice(p: Params) -> Text:
    return Text(
        _("Early demand notice: %(title)s") % {"title": p["title"]},
        _("%(town)s: %(title)s is expected to need %(utilities)s.")
        % {"town": _name(p["town"]), "title": p["title"], "utilities": _utilities(p["utilities"])},
    )


@message("demand_notice.reminder")
def _demand_notice_reminder(p: Params) -> Text:
    notice = _demand_notice(p)
    return Text(_("Reminder: %(subject)s") % {"subject": notice.subject}, notice.body)


# Demands and suggestions (coordination).


def _demand_values(p: Params) -> dict[str, str]:
    return {
        "kind": _label(DemandKind, p["kind"]),
        "reference": p["reference"],
        "title": p["title"],
    }


@message("demand.received")
def _demand_received(p: Params) -> Text:
    return Text(
        _("New %(kind)s %(reference)s: %(title)s") % _demand_values(p),
        _lines(
            _("%(utility)s · %(town)s · %(theme)s")
            % {
                "utility": _label(Utility, p.get("utility", "")),
                "town": _name(p["town"]),
                "theme": _label(DemandTheme, p.get("theme", "")),
            },
            _("Acknowledge by %(day)s, answer by %(answer)s.")
            % {"day": _day(p.get("acknowledge_due")), "answer": _day(p.get("answer_due"))},
            p.get("description", ""),
        ),
        _path("staff:demand", p["demand"]),
    )


@message("demand.receipt")
def _demand_receipt(p: Params) -> Text:
    """To someone without an account, by e-mail only: the private link is the path."""
    return Text(
        _("We received your %(kind)s %(reference)s") % _demand_values(p),
        _lines(
            _("We will answer by %(day)s.") % {"day": _day(p.get("answer_due"))},
            _("Follow it and read the answer here (keep this link private):"),
        ),
        p.get("link", ""),
    )


def _submitter_path(p: Params) -> str:
    return p.get("link") or _path("applications:demand_detail", p["demand"])


@message("demand.acknowledged")
def _demand_acknowledged(p: Params) -> Text:
    limit = DEMAND_LIMITS.get(p.get("stage", ""))
    return Text(
        _("Your %(kind)s %(reference)s is being handled") % _demand_values(p),
        _("%(what)s due by %(day)s.")
        % {"what": str(limit.what) if limit else "", "day": _day(p.get("due"))},
        _submitter_path(p),
    )


@message("demand.answered")
def _demand_answered(p: Params) -> Text:
    return Text(
        _("Your %(kind)s %(reference)s has been answered") % _demand_values(p),
        "\n\n".join(
            x for x in (p.get("comment", ""), _("Tell us whether this solved the problem:")) if x
        ),
        _submitter_path(p),
    )


@message("demand.reopened")
def _demand_reopened(p: Params) -> Text:
    return Text(
        _("%(reference)s: the submitter says it is not solved") % _demand_values(p),
        p.get("comment", ""),
        _path("staff:demand", p["demand"]),
    )


@message("demand.escalation")
def _demand_escalation(p: Params) -> Text:
    values = {"tier": p["tier"], "reference": p["reference"], "title": p["title"]}
    if p.get("origin") == EscalationOrigin.REFERRAL:
        if p.get("kind") == EscalationEventKind.RESOLVED:
            subject = _("Referral resolved: demand %(reference)s: %(title)s") % values
        else:
            subject = _("Referred up (tier %(tier)s): demand %(reference)s: %(title)s") % values
    else:
        limit = DEMAND_LIMITS.get(p.get("stage", ""))
        values["what"] = str(limit.what) if limit else p.get("stage", "")
        subject = _("Escalation (tier %(tier)s): demand %(reference)s, %(what)s overdue") % values
    return Text(subject, p.get("note", ""), _path("staff:demand", p["demand"]))


# Ratings and their follow-up (回访).


@message("follow_up.escalation")
def _follow_up_escalation(p: Params) -> Text:
    limit = FOLLOW_UP_LIMITS.get(p.get("stage", ""))
    return Text(
        _("Escalation (tier %(tier)s): follow-up of a %(utility)s rating overdue")
        % {"tier": p["tier"], "utility": _label(Utility, p["utility"])},
        _lines(str(limit.what) if limit else p.get("stage", ""), p.get("note", "")),
        _path("staff:follow_up", p["follow_up"]),
    )


@message("rating.invitation")
def _rating_invitation(p: Params) -> Text:
    utility = _label(Utility, p["utility"])
    return Text(
        _("How was your %(utility)s connection? Rate the service") % {"utility": utility},
        _(
            "%(utility)s was connected. Tell us how satisfied you are with the "
            "service; a dissatisfied rating is followed up by the workgroup."
        )
        % {"utility": utility},
        _path("applications:request_detail", p["request"]),
    )


@message("follow_up.opened")
def _follow_up_opened(p: Params) -> Text:
    return Text(
        _("Follow-up: %(utility)s rated “%(level)s”")
        % {"utility": _label(Utility, p["utility"]), "level": _label(RatingLevel, p["level"])},
        _lines(
            p.get("comment", ""),
            _("Call the applicant and answer by %(day)s.") % {"day": _day(p.get("due"))},
        ),
        _path("staff:follow_up", p["follow_up"]),
    )


@message("follow_up.answered")
def _follow_up_answered(p: Params) -> Text:
    return Text(
        _("Your rating of %(utility)s: what we found and fixed")
        % {"utility": _label(Utility, p["utility"])},
        "\n\n".join(
            [
                _("Cause: %(cause)s") % {"cause": p.get("cause", "")},
                _("Fix: %(fix)s") % {"fix": p.get("fix", "")},
                _("You may rate the service again:"),
            ]
        ),
        _path("applications:request_detail", p["request"]),
    )


# Webhook endpoints (the circuit breaker).


@message("webhook.paused")
def _webhook_paused(p: Params) -> Text:
    return Text(
        _("Webhook endpoint paused: %(url)s") % {"url": p["url"]},
        _(
            "After %(failures)s failed deliveries in a row (last error: %(error)s) the "
            "portal holds the events for this endpoint; none is lost. It tries one again "
            "from %(probe_at)s and sends the others as soon as it is accepted."
        )
        % {
            "failures": p["failures"],
            "error": p.get("error", ""),
            "probe_at": _moment(p.get("probe_at")),
        },
    )


@message("webhook.resumed")
def _webhook_resumed(p: Params) -> Text:
    return Text(
        _("Webhook endpoint delivering again: %(url)s") % {"url": p["url"]},
        _("A test delivery was accepted; the held events are being sent now."),
    )


# Joint works plans (联合施工): one trench, one permit set, several utilities.


def _road(p: Params) -> str:
    return " ".join(x for x in (p["road"], p.get("segment", "")) if x)


def _window(p: Params) -> str:
    return _("%(start)s to %(end)s") % {"start": _day(p["start"]), "end": _day(p["end"])}


def _plan_path(p: Params) -> str:
    return _path("staff:joint_work", p["plan"])


@message("joint_works.proposed")
def _joint_works_proposed(p: Params) -> Text:
    return Text(
        _("Joint works proposed on %(road)s: confirm or propose another window")
        % {"road": _road(p)},
        _lines(
            _("%(project)s: %(utilities)s share one trench and one permit set, %(window)s.")
            % {
                "project": p["project"],
                "utilities": _utilities(p["utilities"]),
                "window": _window(p),
            },
            _("Lead operator: %(lead)s") % {"lead": _name(p["lead"])},
        ),
        _plan_path(p),
    )


@message("joint_works.window_proposed")
def _joint_works_window_proposed(p: Params) -> Text:
    return Text(
        _("%(operator)s proposed another window for the joint works on %(road)s")
        % {"operator": _name(p["operator"]), "road": _road(p)},
        _lines(
            _("New window: %(window)s. Every operator confirms it again.") % {"window": _window(p)},
            p.get("reason", ""),
        ),
        _plan_path(p),
    )


@message("joint_works.left")
def _joint_works_left(p: Params) -> Text:
    if p.get("cancelled"):
        subject = _("%(operator)s left the joint works on %(road)s: the plan is cancelled")
    else:
        subject = _("%(operator)s left the joint works on %(road)s")
    return Text(
        subject % {"operator": _name(p["operator"]), "road": _road(p)},
        p.get("reason", ""),
        _plan_path(p),
    )


@message("joint_works.locked")
def _joint_works_locked(p: Params) -> Text:
    return Text(
        _("Joint works on %(road)s locked: every operator confirmed") % {"road": _road(p)},
        _(
            "Excavation window %(window)s. One permit set is filed now for %(utilities)s; "
            "nobody files their own."
        )
        % {"window": _window(p), "utilities": _utilities(p["utilities"])},
        _plan_path(p),
    )


@message("joint_works.warning")
def _joint_works_warning(p: Params) -> Text:
    lines = [
        _("%(road)s was restored on %(day)s: no digging there until %(until)s (moratorium).")
        % {"road": w["road"], "day": _day(w["restored_on"]), "until": _day(w["until"])}
        for w in p.get("moratoriums", [])
    ]
    lines += [
        _("Other works on %(road)s from %(start)s to %(end)s: dig once together.")
        % {"road": o["road"], "start": _day(o["starts_on"]), "end": _day(o["ends_on"])}
        for o in p.get("overlaps", [])
    ]
    return Text(
        _("Warning for the joint works on %(road)s: check the moratorium and other works")
        % {"road": _road(p)},
        _lines(*lines),
        _plan_path(p),
    )


@message("joint_works.window_set")
def _joint_works_window_set(p: Params) -> Text:
    return Text(
        _("%(reference)s: the works on %(road)s are set for %(window)s")
        % {"reference": p["reference"], "road": _road(p), "window": _window(p)},
        _(
            "%(utilities)s of your request share one trench with one set of road permits, "
            "so the road is dug once."
        )
        % {"utilities": _utilities(p["utilities"])},
    )


@message("joint_works.restored")
def _joint_works_restored(p: Params) -> Text:
    return Text(
        _("%(reference)s: the road %(road)s is restored")
        % {"reference": p["reference"], "road": _road(p)},
        _("The shared trench for %(utilities)s was backfilled and the road restored on %(day)s.")
        % {"utilities": _utilities(p["utilities"]), "day": _day(p["restored_on"])},
    )
