"""Every write of the service desk: tickets, their conversation, assignment, SLA clocks,
merges and satisfaction surveys.

SLA clocks count WORKING time (:mod:`kehu.core.workcalendar`). Waiting on the customer pauses
both clocks: when the ticket resumes, each due time moves forward by the working time the
pause lasted, so ``cal.between(opened, due) - paused == target`` always holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.fieldrules import check_writable
from kehu.core.locking import save_versioned
from kehu.core.workcalendar import working_calendar
from kehu.service.models import (
    AgentSkill,
    SLAPolicy,
    SurveyInvite,
    TeamRouting,
    Ticket,
    TicketAssignment,
    TicketCounter,
    TicketMessage,
    TicketStatusChange,
)

S = Ticket.Status
SURVEY_DAYS = 14

# from -> the statuses it may go to (reopening is going back to in_progress)
TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.IN_PROGRESS, S.RESOLVED, S.CLOSED},
    S.IN_PROGRESS: {S.RESOLVED},
    S.RESOLVED: {S.FOLLOW_UP, S.CLOSED, S.IN_PROGRESS},
    S.FOLLOW_UP: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: {S.IN_PROGRESS},
}
REOPEN_FROM = {S.RESOLVED, S.FOLLOW_UP, S.CLOSED}


def _emit(name: str, actor: Any, ticket: Ticket, **data: Any) -> None:
    publish(
        Event(
            name,
            actor_id=getattr(actor, "pk", None),
            object_type="ticket",
            object_id=ticket.pk,
            data=data,
        )
    )


def _now() -> dt.datetime:
    return timezone.now()


# ---- numbering and SLA --------------------------------------------------------------------------


def _next_number(year: int) -> str:
    counter, _created = TicketCounter.objects.get_or_create(year=year)
    counter = TicketCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"T-{year}-{counter.last:06d}"


def pick_policy(*, priority: str, ticket_type: str) -> SLAPolicy | None:
    """The most specific active policy: priority and type, then priority, then type, then
    one for any ticket."""
    candidates = SLAPolicy.objects.filter(
        Q(priority=priority) | Q(priority=""),
        Q(ticket_type=ticket_type) | Q(ticket_type=""),
        is_active=True,
    )

    def rank(p: SLAPolicy) -> tuple[int, int, int]:
        return (bool(p.priority) + bool(p.ticket_type), bool(p.priority), -p.pk)

    return max(candidates, key=rank, default=None)


def _apply_policy(ticket: Ticket, start: dt.datetime) -> None:
    policy = pick_policy(priority=ticket.priority, ticket_type=ticket.type)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    cal = working_calendar()
    ticket.first_response_due_at = cal.add(
        start, dt.timedelta(minutes=policy.first_response_minutes)
    )
    ticket.resolution_due_at = cal.add(start, dt.timedelta(minutes=policy.resolution_minutes))


def _log_status(ticket: Ticket, old: str, new: str, actor: Any, now: dt.datetime) -> None:
    since = ticket.status_changed_at or ticket.created_at or now
    spent = working_calendar().between(since, now) if old else dt.timedelta(0)
    TicketStatusChange.objects.create(
        ticket=ticket,
        from_status=old,
        to_status=new,
        by=actor if getattr(actor, "pk", None) else None,
        working_seconds=int(spent.total_seconds()),
    )


# ---- tickets ------------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "subject",
    "description",
    "type",
    "channel",
    "priority",
    "customer",
    "contact",
    "product",
    "order",
    "team",
    "requester_name",
    "requester_email",
    "requester_phone",
)


def _check_links(ticket: Ticket) -> None:
    errors: dict[str, str] = {}
    contact, order = ticket.contact, ticket.order
    if contact is not None and ticket.customer_id and contact.customer_id != ticket.customer_id:
        errors["contact"] = _("The contact belongs to another customer.")
    if order is not None and ticket.customer_id and order.customer_id != ticket.customer_id:
        errors["order"] = _("The order belongs to another customer.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def open_ticket(
    *,
    actor: Any,
    subject: str,
    description: str = "",
    type: str = Ticket.Type.INQUIRY,
    channel: str = Ticket.Channel.PHONE,
    priority: str = Ticket.Priority.NORMAL,
    customer: Any = None,
    contact: Any = None,
    product: Any = None,
    order: Any = None,
    team: Any = None,
    assignee: Any = None,
    requester_name: str = "",
    requester_email: str = "",
    requester_phone: str = "",
    opened_at: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket (受理): numbered, its SLA policy picked and due times set in working
    time; then assigned by hand (``assignee``) or by its team's routing."""
    now = opened_at or _now()
    if contact is not None and customer is None:
        customer = contact.customer
    if contact is not None:
        requester_name = requester_name or contact.name
        requester_email = requester_email or contact.email
        requester_phone = requester_phone or contact.mobile or contact.phone
    ticket = Ticket(
        subject=subject.strip(),
        description=description,
        type=type,
        channel=channel,
        priority=priority,
        customer=customer,
        contact=contact,
        product=product,
        order=order,
        team=team,
        requester_name=requester_name.strip(),
        requester_email=requester_email.strip(),
        requester_phone=requester_phone.strip(),
        status=S.NEW,
        status_changed_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
        updated_by=actor if getattr(actor, "pk", None) else None,
    )
    if not ticket.subject:
        raise ValidationError({"subject": _("Say in a few words what the ticket is about.")})
    _check_links(ticket)
    ticket.number = _next_number(timezone.localtime(now).year)
    _apply_policy(ticket, now)
    ticket.full_clean(exclude=["number"])
    ticket.save()
    if opened_at is not None:
        Ticket.objects.filter(pk=ticket.pk).update(created_at=opened_at)
        ticket.created_at = opened_at
    _log_status(ticket, "", S.NEW, actor, now)
    _emit("ticket.created", actor, ticket)
    if assignee is not None:
        assign(actor=actor, ticket=ticket, assignee=assignee, check=False)
    elif team is not None:
        auto_assign(actor=actor, ticket=ticket)
    return ticket


@transaction.atomic
def update_ticket(
    *, actor: Any, ticket: Ticket, expected_version: int | None, **changes: Any
) -> Ticket:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    check_writable(actor, Ticket, changes)
    changed = [k for k, v in changes.items() if getattr(ticket, k) != v]
    for key in changed:
        setattr(ticket, key, changes[key])
    _check_links(ticket)
    ticket.full_clean(exclude=["number"])
    if {"priority", "type"} & set(changed) and ticket.is_open:
        changed += _repick_policy(ticket)
    if changed:
        save_versioned(ticket, expected_version=expected_version, update_fields=changed, user=actor)
        _emit("ticket.updated", actor, ticket, fields=changed)
    return ticket


def _repick_policy(ticket: Ticket) -> list[str]:
    """A new priority or type: the policy that fits now, its targets counted from the opening
    plus the working time already paused (the same due times a pause-by-pause shift gives,
    since working time adds up). A clock whose due time moves gets its warning back."""
    policy = pick_policy(priority=ticket.priority, ticket_type=ticket.type)
    fields = ["sla_policy"]
    ticket.sla_policy = policy
    cal = working_calendar()
    paused = dt.timedelta(seconds=ticket.paused_seconds)
    for clock, due_field, done, minutes in (
        (
            "response",
            "first_response_due_at",
            ticket.first_responded_at,
            policy.first_response_minutes if policy else None,
        ),
        (
            "resolution",
            "resolution_due_at",
            ticket.resolved_at,
            policy.resolution_minutes if policy else None,
        ),
    ):
        if done is not None or getattr(ticket, f"{clock}_breached"):
            continue
        due = (
            cal.add(ticket.created_at, dt.timedelta(minutes=minutes) + paused)
            if minutes is not None
            else None
        )
        if due != getattr(ticket, due_field):
            setattr(ticket, due_field, due)
            setattr(ticket, f"{clock}_warned", False)
            fields += [due_field, f"{clock}_warned"]
    return fields


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _save(ticket: Ticket, actor: Any, fields: list[str], expected_version: int | None) -> None:
    save_versioned(ticket, expected_version=expected_version, update_fields=fields, user=actor)


# ---- assignment ---------------------------------------------------------------------------------


@transaction.atomic
def assign(
    *,
    actor: Any,
    ticket: Ticket,
    assignee: Any,
    method: str = "manual",
    expected_version: int | None = None,
    check: bool = True,
) -> Ticket:
    """Give the ticket to ``assignee`` (logged, so round robin can count fairly)."""
    if check and actor is not None:
        from kehu.core.permissions import has_perm

        if not has_perm(actor, "ticket.assign"):
            raise PermissionDenied
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": _("%(name)s is deactivated.") % {"name": assignee}})
    current = _locked(ticket)
    if expected_version is not None and current.version != expected_version:
        from kehu.core.locking import StaleWriteError

        raise StaleWriteError(current, expected_version)
    if current.assignee_id == getattr(assignee, "pk", None):
        return current
    current.assignee = assignee
    _save(current, actor, ["assignee"], None)
    if assignee is not None:
        TicketAssignment.objects.create(
            ticket=current, user=assignee, team=current.team, method=method
        )
        if assignee != actor:
            from kehu.core.services import notify

            notify(
                recipient=assignee,
                title=_("Ticket %(number)s is yours: %(subject)s")
                % {"number": current.number, "subject": current.subject},
                url=current.get_absolute_url(),
                kind="ticket.assigned",
            )
    _emit("ticket.assigned", actor, current, assignee_id=getattr(assignee, "pk", None))
    ticket.assignee, ticket.version = current.assignee, current.version
    return current


def _active_members(team: Any) -> list[Any]:
    return list(team.members.filter(is_active=True).order_by("pk"))


def round_robin_pick(team: Any) -> Any:
    """The active member of ``team`` who got a ticket from it longest ago (never: first),
    then the one who got the fewest, then the longest-standing account."""
    members = _active_members(team)
    if not members:
        return None
    stats = {
        row["user"]: row
        for row in TicketAssignment.objects.filter(team=team, user__in=members)
        .values("user")
        .annotate(last=Max("at"), n=Count("id"))
    }
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)

    def key(u: Any) -> tuple[dt.datetime, int, int]:
        row = stats.get(u.pk)
        return (row["last"] if row else floor, row["n"] if row else 0, u.pk)

    return min(members, key=key)


def skill_pick(ticket: Ticket) -> Any:
    """Among the people with a skill matching the ticket's type or its product's category
    (within its team when it has one), the one with the fewest open tickets."""
    from kehu.accounts.models import User

    wanted = {ticket.type}
    if ticket.product is not None and ticket.product.category:
        wanted.add(ticket.product.category)
    people = User.objects.filter(is_active=True, service_skills__skill__in=wanted).distinct()
    if ticket.team_id:
        people = people.filter(teams=ticket.team)
    people = people.annotate(
        load=Count(
            "assigned_tickets",
            filter=Q(assigned_tickets__status__in=Ticket.OPEN_STATUSES),
            distinct=True,
        ),
        last=Max("ticket_assignments__at"),
    )
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return min(people, key=lambda u: (u.load, u.last or floor, u.pk), default=None)


@transaction.atomic
def auto_assign(*, actor: Any, ticket: Ticket) -> Any:
    """Assign by the ticket's team's routing mode; None when it is by hand or nobody fits."""
    if ticket.team_id is None:
        return None
    routing = TeamRouting.objects.filter(team_id=ticket.team_id).first()
    mode = routing.mode if routing else TeamRouting.Mode.MANUAL
    if mode == TeamRouting.Mode.ROUND_ROBIN:
        # One assignment at a time per team, so two tickets never go to the same "next".
        from kehu.accounts.models import Team

        Team.objects.select_for_update().filter(pk=ticket.team_id).first()
        person = round_robin_pick(ticket.team)
    elif mode == TeamRouting.Mode.SKILL:
        person = skill_pick(ticket)
    else:
        return None
    if person is not None:
        assign(actor=actor, ticket=ticket, assignee=person, method=mode, check=False)
    return person


@transaction.atomic
def set_routing(*, actor: Any, team: Any, mode: str) -> TeamRouting:
    from kehu.core.permissions import has_perm

    if not has_perm(actor, "manage_service"):
        raise PermissionDenied
    if mode not in TeamRouting.Mode.values:
        raise ValidationError({"mode": _("Choose by hand, round robin or by skill.")})
    routing, _created = TeamRouting.objects.update_or_create(team=team, defaults={"mode": mode})
    return routing


@transaction.atomic
def set_skills(*, actor: Any, user: Any, skills: list[str]) -> list[str]:
    """Replace ``user``'s skills; each skill added or removed leaves a history row."""
    from kehu.core.permissions import has_perm

    if not has_perm(actor, "manage_service"):
        raise PermissionDenied
    clean = sorted({s.strip()[:64] for s in skills if s.strip()})
    current = {a.skill: a for a in AgentSkill.objects.filter(user=user)}
    for skill, row in current.items():
        if skill not in clean:
            row._history_user = actor  # type: ignore[attr-defined]
            row.delete()
    for skill in clean:
        if skill not in current:
            row = AgentSkill(user=user, skill=skill)
            row._history_user = actor  # type: ignore[attr-defined]
            row.save()
    return clean


@transaction.atomic
def set_inquiry_team(*, actor: Any, team: Any) -> Any:
    """The team that receives the public inquiry form's tickets (None: nobody in particular;
    the tickets wait in the unassigned queue)."""
    from kehu.core.permissions import has_perm
    from kehu.service.models import InquirySettings

    if not has_perm(actor, "manage_service"):
        raise PermissionDenied
    settings_row, _created = InquirySettings.objects.select_for_update().get_or_create(pk=1)
    settings_row.team = team
    settings_row._history_user = actor  # type: ignore[attr-defined]
    settings_row.save()
    return settings_row


# ---- status -------------------------------------------------------------------------------------


class InvalidTransition(ValidationError):
    pass


def _resume_clocks(ticket: Ticket, now: dt.datetime) -> list[str]:
    """End a pause: move every running due time forward by the working time it lasted."""
    if ticket.paused_at is None:
        return []
    cal = working_calendar()
    paused = cal.between(ticket.paused_at, now)
    fields = ["paused_at", "waiting_on_customer", "paused_seconds"]
    if paused > dt.timedelta(0):
        if ticket.first_response_due_at and ticket.first_responded_at is None:
            ticket.first_response_due_at = cal.add(ticket.first_response_due_at, paused)
            fields.append("first_response_due_at")
        if ticket.resolution_due_at and ticket.resolved_at is None:
            ticket.resolution_due_at = cal.add(ticket.resolution_due_at, paused)
            fields.append("resolution_due_at")
    ticket.paused_seconds += int(paused.total_seconds())
    ticket.paused_at = None
    ticket.waiting_on_customer = False
    return fields


@transaction.atomic
def change_status(
    *,
    actor: Any,
    ticket: Ticket,
    status: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    email: bool = True,
    base_url: str = "",
) -> Ticket:
    """Move the ticket along 受理 → 处理中 → 已解决 → 回访 → 关闭; reopening goes back to
    in progress and is counted. A resolution sends the satisfaction survey."""
    now = now or _now()
    current = _locked(ticket)
    if expected_version is not None and current.version != expected_version:
        from kehu.core.locking import StaleWriteError

        raise StaleWriteError(current, expected_version)
    old = current.status
    if status not in S.values:
        raise InvalidTransition(_("Unknown status."))
    if current.merged_into_id:
        raise InvalidTransition(
            _("This ticket was merged into %(number)s; work on that one.")
            % {"number": getattr(current.merged_into, "number", "")}
        )
    if status not in TRANSITIONS.get(old, set()):
        raise InvalidTransition(
            _("A ticket that is “%(old)s” cannot become “%(new)s”.")
            % {"old": S(old).label, "new": S(status).label}
        )
    fields = ["status", "status_changed_at"]
    if status in (S.RESOLVED, S.CLOSED) and current.paused_at is not None:
        fields += _resume_clocks(current, now)
    if status == S.IN_PROGRESS and old in REOPEN_FROM:
        current.reopen_count += 1
        fields.append("reopen_count")
        # The time it sat resolved is not the team's: it shifts the resolution clock too.
        if current.resolution_due_at and current.resolved_at:
            cal = working_calendar()
            idle = cal.between(current.resolved_at, now)
            if idle > dt.timedelta(0):
                current.resolution_due_at = cal.add(current.resolution_due_at, idle)
        current.resolved_at = None
        current.closed_at = None
        # The resolution clock runs again: its warning may come again before the new due time.
        current.resolution_warned = current.resolution_breached
        fields += ["resolution_due_at", "resolved_at", "closed_at", "resolution_warned"]
    if status == S.RESOLVED or (status == S.CLOSED and current.resolved_at is None):
        current.resolved_at = now
        fields.append("resolved_at")
    if status == S.CLOSED:
        current.closed_at = now
        fields.append("closed_at")
    _log_status(current, old, status, actor, now)
    current.status = status
    current.status_changed_at = now
    _save(current, actor, sorted(set(fields)), None)
    _emit("ticket.status_changed", actor, current, old=old, new=status)
    if status == S.RESOLVED:
        send_survey(ticket=current, email=email, base_url=base_url)
    ticket.status, ticket.version = current.status, current.version
    return current


@transaction.atomic
def pause(*, actor: Any, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """Waiting on the customer: both SLA clocks stop until :func:`resume`."""
    now = now or _now()
    current = _locked(ticket)
    if not current.is_open:
        raise InvalidTransition(_("Only an open ticket can wait on the customer."))
    if current.paused_at is not None:
        return current
    current.paused_at = now
    current.waiting_on_customer = True
    _save(current, actor, ["paused_at", "waiting_on_customer"], None)
    ticket.paused_at, ticket.waiting_on_customer, ticket.version = now, True, current.version
    _emit("ticket.paused", actor, current)
    return current


@transaction.atomic
def resume(*, actor: Any, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    now = now or _now()
    current = _locked(ticket)
    fields = _resume_clocks(current, now)
    if fields:
        _save(current, actor, fields, None)
        _emit("ticket.resumed", actor, current)
        for name in [*fields, "version"]:
            setattr(ticket, name, getattr(current, name))
    return current


# ---- conversation -------------------------------------------------------------------------------


@transaction.atomic
def add_note(*, actor: Any, ticket: Ticket, body: str) -> TicketMessage:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    message = TicketMessage.objects.create(
        ticket=ticket, kind=TicketMessage.Kind.NOTE, author=actor, body=body
    )
    _emit("ticket.noted", actor, ticket, message_id=message.pk)
    return message


@transaction.atomic
def add_customer_message(*, ticket: Ticket, body: str, resume_clocks: bool = True) -> TicketMessage:
    """A message from the customer (e-mail in, web form); it ends a wait on the customer."""
    message = TicketMessage.objects.create(
        ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body=body.strip()
    )
    if resume_clocks:
        resume(actor=None, ticket=ticket)
    _emit("ticket.customer_message", None, ticket, message_id=message.pk)
    return message


@transaction.atomic
def reply(
    *,
    actor: Any,
    ticket: Ticket,
    body: str,
    now: dt.datetime | None = None,
    email: bool = True,
) -> TicketMessage:
    """Answer the customer: the reply is e-mailed (after commit) to the requester or contact,
    and the first reply stops the first-response clock."""
    now = now or _now()
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the reply first.")})
    current = _locked(ticket)
    message = TicketMessage.objects.create(
        ticket=current, kind=TicketMessage.Kind.REPLY, author=actor, body=body
    )
    fields: list[str] = []
    if current.first_responded_at is None:
        current.first_responded_at = now
        fields.append("first_responded_at")
    if current.status == S.NEW:
        _log_status(current, S.NEW, S.IN_PROGRESS, actor, now)
        current.status, current.status_changed_at = S.IN_PROGRESS, now
        fields += ["status", "status_changed_at"]
    if fields:
        _save(current, actor, fields, None)
    for name in [*fields, "version"]:
        setattr(ticket, name, getattr(current, name))
    if email and current.reply_address:
        from kehu.service.tasks import send_reply_email

        transaction.on_commit(lambda: send_reply_email(message.pk))
    _emit("ticket.replied", actor, current, message_id=message.pk)
    return message


def deliver_reply(message_id: int) -> bool:
    """Send one reply by e-mail through the configured backend; mark it e-mailed."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    message = TicketMessage.objects.select_related("ticket", "author", "ticket__contact").get(
        pk=message_id
    )
    ticket = message.ticket
    address = ticket.reply_address
    if not address or message.emailed:
        return False
    mail = EmailMessage(
        subject=f"[{ticket.number}] {ticket.subject}",
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"X-Kehu-Ticket": ticket.number},
    )
    mail.send(fail_silently=False)
    TicketMessage.objects.filter(pk=message.pk).update(emailed=True)
    return True


# ---- merge --------------------------------------------------------------------------------------


@transaction.atomic
def merge_tickets(*, actor: Any, source: Ticket, target: Ticket) -> Ticket:
    """Fold ``source`` into ``target``: its messages move, it is closed with a link to the
    target, and both keep their history."""
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    src, dst = _locked(source), _locked(target)
    if src.merged_into_id:
        raise ValidationError(_("%(number)s is already merged.") % {"number": src.number})
    if dst.merged_into_id:
        raise ValidationError(
            _("%(number)s was merged into another ticket; merge into that one.")
            % {"number": dst.number}
        )
    moved = TicketMessage.objects.filter(ticket=src).update(ticket=dst)
    now = _now()
    TicketMessage.objects.create(
        ticket=dst,
        kind=TicketMessage.Kind.NOTE,
        author=actor,
        body=_("Merged %(number)s (%(subject)s) into this ticket; %(count)d messages moved.")
        % {"number": src.number, "subject": src.subject, "count": moved},
    )
    TicketMessage.objects.create(
        ticket=src,
        kind=TicketMessage.Kind.NOTE,
        author=actor,
        body=_("Merged into %(number)s.") % {"number": dst.number},
    )
    old = src.status
    src.merged_into = dst
    fields = ["merged_into"]
    if src.paused_at is not None:
        fields += _resume_clocks(src, now)
    if old != S.CLOSED:
        _log_status(src, old, S.CLOSED, actor, now)
        src.status, src.status_changed_at, src.closed_at = S.CLOSED, now, now
        fields += ["status", "status_changed_at", "closed_at"]
    _save(src, actor, fields, None)
    _emit("ticket.merged", actor, src, into=dst.pk)
    return dst


# ---- SLA checks ---------------------------------------------------------------------------------


def _escalation_targets(ticket: Ticket) -> list[Any]:
    from kehu.accounts.models import User

    people: dict[int, Any] = {}
    policy = ticket.sla_policy
    if policy is not None:
        if policy.escalate_to_user is not None and policy.escalate_to_user.is_active:
            people[policy.escalate_to_user.pk] = policy.escalate_to_user
        if policy.escalate_to_role_id:
            for u in User.objects.filter(roles=policy.escalate_to_role_id, is_active=True):
                people[u.pk] = u
    leader = ticket.team.leader if ticket.team is not None else None
    if leader is not None and leader.is_active:
        people[leader.pk] = leader
    return list(people.values())


def check_slas(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn the assignee before a clock runs out and escalate once it has, each exactly once
    per clock (a conditional UPDATE claims the flag, so parallel workers cannot double up)."""
    from kehu.core.models import Notification
    from kehu.core.services import notify

    now = now or _now()
    cal = working_calendar()
    counts = {"warned": 0, "escalated": 0}
    open_tickets = (
        Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, paused_at__isnull=True)
        .filter(
            Q(first_responded_at__isnull=True, response_breached=False)
            | Q(resolution_breached=False)
        )
        .select_related("sla_policy", "assignee", "team__leader")
    )
    for ticket in open_tickets.iterator(chunk_size=500):
        policy = ticket.sla_policy
        warn_before = dt.timedelta(minutes=policy.warn_before_minutes if policy else 30)
        clocks = []
        if ticket.first_responded_at is None and ticket.first_response_due_at:
            clocks.append(("response", ticket.first_response_due_at, _("first response")))
        if ticket.resolution_due_at:
            clocks.append(("resolution", ticket.resolution_due_at, _("resolution")))
        for clock, due, label in clocks:
            args = {"number": ticket.number, "subject": ticket.subject, "clock": label}
            if now >= due:
                with transaction.atomic():
                    claimed = Ticket.objects.filter(
                        pk=ticket.pk, **{f"{clock}_breached": False}
                    ).update(
                        **{f"{clock}_breached": True, f"{clock}_warned": True, "escalated": True}
                    )
                    if not claimed:
                        continue
                    title = _("SLA overdue (%(clock)s): %(number)s %(subject)s") % args
                    for person in [ticket.assignee, *_escalation_targets(ticket)]:
                        if person is not None:
                            notify(
                                recipient=person,
                                title=title,
                                url=ticket.get_absolute_url(),
                                level=Notification.Level.DANGER,
                                kind="ticket.sla_escalated",
                            )
                    _emit("ticket.sla_escalated", None, ticket, clock=clock)
                counts["escalated"] += 1
            elif cal.between(now, due) <= warn_before:
                with transaction.atomic():
                    claimed = Ticket.objects.filter(
                        pk=ticket.pk, **{f"{clock}_warned": False}
                    ).update(**{f"{clock}_warned": True})
                    if not claimed:
                        continue
                    if ticket.assignee is not None:
                        notify(
                            recipient=ticket.assignee,
                            title=_("SLA due soon (%(clock)s): %(number)s %(subject)s") % args,
                            url=ticket.get_absolute_url(),
                            level=Notification.Level.WARNING,
                            kind="ticket.sla_warning",
                        )
                    _emit("ticket.sla_warned", None, ticket, clock=clock)
                counts["warned"] += 1
    return counts


# ---- satisfaction -------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def send_survey(
    *, ticket: Ticket, email: bool = True, base_url: str = ""
) -> tuple[SurveyInvite, str] | None:
    """Create a single-use survey link for the resolved ticket and e-mail it (after commit).
    Returns the invite and its token (the token is never stored, only its hash).
    ``base_url`` is the site's address as the request reached it (``https://kehu.example/``)."""
    address = ticket.reply_address
    token = secrets.token_urlsafe(24)
    invite = SurveyInvite.objects.create(
        ticket=ticket,
        token_hash=hash_token(token),
        sent_to=address,
        expires_at=_now() + dt.timedelta(days=SURVEY_DAYS),
    )
    if address and email:
        from kehu.service.tasks import send_survey_email

        link = survey_url(token, base_url)
        transaction.on_commit(lambda: send_survey_email(invite.pk, link))
    return invite, token


SURVEY_STATUSES = (S.RESOLVED, S.FOLLOW_UP, S.CLOSED)


@transaction.atomic
def issue_survey_link(
    *, actor: Any, ticket: Ticket, base_url: str = "", now: dt.datetime | None = None
) -> tuple[SurveyInvite, str]:
    """A fresh survey link for the agent to hand over in person, by phone or by WeChat (the
    ticket may have no e-mail address). Only the hash is stored, so the link cannot be shown
    again later: each call issues a new one and the earlier unanswered links stop working.
    Returns the invite and the full link."""
    from kehu.core import scoping

    if not scoping.can(actor, "change", ticket):
        raise PermissionDenied
    current = _locked(ticket)
    if current.merged_into_id:
        raise ValidationError(
            _("This ticket was merged into %(number)s; work on that one.")
            % {"number": getattr(current.merged_into, "number", "")}
        )
    if current.status not in SURVEY_STATUSES or current.resolved_at is None:
        raise ValidationError(
            _("A survey link is for a resolved ticket; resolve this one first."),
            code="not_resolved",
        )
    if current.satisfaction_score is not None:
        raise ValidationError(
            _("The customer has already rated this ticket (%(score)d/5).")
            % {"score": current.satisfaction_score},
            code="rated",
        )
    now = now or _now()
    SurveyInvite.objects.filter(ticket=current, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    token = secrets.token_urlsafe(24)
    invite = SurveyInvite.objects.create(
        ticket=current,
        token_hash=hash_token(token),
        sent_to="",
        expires_at=now + dt.timedelta(days=SURVEY_DAYS),
    )
    _emit("ticket.survey_link_issued", actor, current, invite_id=invite.pk)
    return invite, survey_url(token, base_url)


def survey_url(token: str, base_url: str = "") -> str:
    from django.urls import reverse

    return (base_url or survey_url_base()).rstrip("/") + reverse("survey", args=[token])


def survey_url_base() -> str:
    """The site's address for links sent out of Kehu (no trailing slash)."""
    from django.conf import settings

    return (getattr(settings, "KEHU_BASE_URL", "") or "http://localhost:8000").rstrip("/")


def deliver_survey(invite_id: int, link: str) -> bool:
    from django.conf import settings
    from django.core.mail import EmailMessage

    invite = SurveyInvite.objects.select_related("ticket").get(pk=invite_id)
    if not invite.sent_to:
        return False
    ticket = invite.ticket
    body = _(
        "Your request %(number)s “%(subject)s” has been resolved.\n\n"
        "How satisfied are you? Rate us (1–5) here — it takes ten seconds:\n%(url)s\n\n"
        "The link works once and for %(days)d days."
    ) % {
        "number": ticket.number,
        "subject": ticket.subject,
        "url": link,
        "days": SURVEY_DAYS,
    }
    EmailMessage(
        subject=_("[%(number)s] How did we do?") % {"number": ticket.number},
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invite.sent_to],
    ).send(fail_silently=False)
    return True


class SurveyUnavailable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def survey_for_token(token: str) -> SurveyInvite:
    invite = (
        SurveyInvite.objects.select_related("ticket").filter(token_hash=hash_token(token)).first()
    )
    if invite is None:
        raise SurveyUnavailable(_("This survey link is not valid."))
    if invite.used_at is not None:
        raise SurveyUnavailable(_("This survey has already been answered. Thank you!"))
    if invite.expires_at <= _now():
        raise SurveyUnavailable(_("This survey link has expired."))
    return invite


LOW_SCORE = 2


@transaction.atomic
def answer_survey(*, token: str, score: int, comment: str = "") -> Ticket:
    """Record the customer's rating once: on the ticket and on the customer; a low score
    (≤ 2) books a follow-up visit (回访)."""
    if score not in range(1, 6):
        raise ValidationError({"score": _("Choose a rating from 1 to 5.")})
    invite = survey_for_token(token)
    now = _now()
    claimed = SurveyInvite.objects.filter(pk=invite.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        raise SurveyUnavailable(_("This survey has already been answered. Thank you!"))
    ticket = _locked(invite.ticket)
    ticket.satisfaction_score = score
    ticket.satisfaction_comment = comment.strip()[:2000]
    _save(ticket, None, ["satisfaction_score", "satisfaction_comment"], None)
    customer = ticket.customer
    if customer is not None:
        from kehu.customers import services as customer_services

        customer_services.update_customer(
            actor=None, customer=customer, expected_version=None, satisfaction=score
        )
    if score <= LOW_SCORE:
        _book_follow_up(ticket, score, comment, now)
    _emit("ticket.rated", None, ticket, score=score)
    return ticket


FOLLOW_UP_WORKING_DAYS = 1  # a low score is visited (回访) by the next working day


def _follow_up_person(ticket: Ticket) -> Any:
    """Who visits an unhappy customer: the ticket's assignee, else the customer's manager,
    else the leader of the ticket's team (None when there is nobody)."""
    customer = ticket.customer
    candidates = (
        ticket.assignee,
        customer.owner if customer is not None else None,
        ticket.team.leader if ticket.team_id and ticket.team is not None else None,
    )
    return next((p for p in candidates if p is not None and p.is_active), None)


def _book_follow_up(ticket: Ticket, score: int, comment: str, now: dt.datetime) -> None:
    """A low score: the ticket goes to 回访 (follow-up visit); a follow-up task (in Work) is
    given to whoever answers for the customer, due within the follow-up time, linked to the
    customer when there is one; and, with a customer, the rating is logged on it as an
    interaction whose next step is the visit, so it appears in the follow-up list too."""
    from kehu.core.models import Notification
    from kehu.core.services import notify
    from kehu.work import services as work_services

    if ticket.status == S.RESOLVED:
        change_status(actor=None, ticket=ticket, status=S.FOLLOW_UP, now=now)
    summary = _("Satisfaction survey for %(number)s: %(score)d of 5. %(comment)s") % {
        "number": ticket.number,
        "score": score,
        "comment": comment.strip(),
    }
    due = working_calendar().add_days(now, FOLLOW_UP_WORKING_DAYS)
    customer = ticket.customer
    by = _follow_up_person(ticket)
    who = customer or ticket.contact or ticket.requester_name or ticket.requester_phone
    details = [summary.strip()]
    if not customer:
        reach = " ".join(
            x for x in (ticket.requester_name, ticket.requester_phone, ticket.requester_email) if x
        )
        if reach:
            details.append(_("Requester: %(who)s") % {"who": reach})
    details.append(_("Ticket: %(url)s") % {"url": survey_url_base() + ticket.get_absolute_url()})
    work_services.create_task(
        actor=None,
        title=(
            _("Follow-up visit (回访): %(who)s, %(number)s rated %(score)d/5")
            % {"who": who or ticket.number, "number": ticket.number, "score": score}
        )[:200],
        description="\n".join(details),
        customer=customer,
        responsible=by,
        start_on=timezone.localdate(now),
        due_on=timezone.localdate(due),
    )
    if customer is not None and by is not None:
        from kehu.customers import services as customer_services
        from kehu.customers.models import Interaction

        customer_services.log_interaction(
            actor=by,
            customer=customer,
            kind=Interaction.Kind.OTHER,
            occurred_at=now,
            summary=summary.strip(),
            outcome=_("Unhappy customer"),
            next_step=_("Follow-up visit (回访) about %(number)s") % {"number": ticket.number},
            next_follow_up_at=due,
            contacts=[ticket.contact] if ticket.contact is not None else None,
        )
    people = {p.pk: p for p in (ticket.assignee, getattr(ticket.customer, "owner", None), by) if p}
    for person in people.values():
        notify(
            recipient=person,
            title=_("Low satisfaction (%(score)d/5) on %(number)s: plan a follow-up visit")
            % {"score": score, "number": ticket.number},
            url=ticket.get_absolute_url(),
            level=Notification.Level.WARNING,
            kind="ticket.low_score",
        )


# ---- SLA policies -------------------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "priority",
    "ticket_type",
    "first_response_minutes",
    "resolution_minutes",
    "warn_before_minutes",
    "escalate_to_role",
    "escalate_to_user",
    "is_active",
)


def _check_manager(actor: Any) -> None:
    from kehu.core.permissions import has_perm

    if actor is not None and not has_perm(actor, "manage_service"):
        raise PermissionDenied


@transaction.atomic
def create_policy(*, actor: Any, **fields: Any) -> SLAPolicy:
    _check_manager(actor)
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"unknown: {sorted(unknown)}")
    policy = SLAPolicy(**fields, created_by=actor, updated_by=actor)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def update_policy(
    *, actor: Any, policy: SLAPolicy, expected_version: int | None, **changes: Any
) -> SLAPolicy:
    _check_manager(actor)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"unknown: {sorted(unknown)}")
    changed = [k for k, v in changes.items() if getattr(policy, k) != v]
    for key in changed:
        setattr(policy, key, changes[key])
    policy.full_clean()
    if changed:
        save_versioned(policy, expected_version=expected_version, update_fields=changed, user=actor)
    return policy


@transaction.atomic
def delete_policy(*, actor: Any, policy: SLAPolicy) -> None:
    _check_manager(actor)
    policy._history_user = actor  # type: ignore[attr-defined]
    policy.delete()


@transaction.atomic
def delete_ticket(*, actor: Any, ticket: Ticket) -> None:
    ticket._history_user = actor  # type: ignore[attr-defined]
    pk = ticket.pk
    ticket.delete()
    publish(
        Event(
            "ticket.deleted",
            actor_id=getattr(actor, "pk", None),
            object_type="ticket",
            object_id=pk,
        )
    )
